"""Between the warehouse and the pure statistics of ``dagster_project.analytics``: reading analysis
frames from the marts, experiments declared as data, flattening results into rows and replacing
an analysis day's rows atomically.
"""
