-- The 'all' row of a workspace, platform and age counts exactly the items of its categories
-- (each item has one category), and every category row has its 'all' row.

with

benchmarks as (
    select * from {{ ref('performance_benchmarks') }}
),

by_category as (
    select
        workspace_id,
        platform,
        age_days,
        sum(sample_size) as category_items
    from benchmarks
    where category != 'all'
    group by workspace_id, platform, age_days
),

overall as (
    select
        workspace_id,
        platform,
        age_days,
        sample_size as all_items
    from benchmarks
    where category = 'all'
)

select
    by_category.category_items,
    overall.all_items,
    coalesce(by_category.workspace_id, overall.workspace_id) as workspace_id,
    coalesce(by_category.platform, overall.platform) as platform,
    coalesce(by_category.age_days, overall.age_days) as age_days
from by_category
full outer join overall
    on
        by_category.workspace_id = overall.workspace_id
        and by_category.platform = overall.platform
        and by_category.age_days = overall.age_days
where by_category.category_items is distinct from overall.all_items
