"""Deterministic synthetic engagement history with known ground truth, written as landing files.

:func:`generate` writes ``landing_dir/<platform>/<YYYY-MM-DD>/<platform>-<YYYY-MM-DD>.csv|.jsonl``
(the date folder is the UTC day a file was *received*) plus ``landing_dir/_ground_truth.json``,
which records everything that was planted: item features and their multiplicative effects on
view potential, anomalies, level shifts, trend changes, counter decreases, A/B experiments, late
snapshots and the exact file/line of every dirty record.  The same :class:`SyntheticSpec` always
produces byte-identical files.  Nothing is downloaded and no database is used.

Model, per item ``i`` (all vectorised over items x snapshots):

* view potential ``A_i = base(platform) * creator_scale * quality_i * prod(feature effects)``
  with lognormal creator scale and item quality;
* cumulative views follow ``A_i * (1 - exp(-age / tau_i) + tail * age)``; the increments between
  snapshots are multiplied by a weekly (weekend) factor per platform, a diurnal factor in the
  creator's local time, lognormal noise and the planted events;
* likes/comments/shares/saves, watch time, impressions and reach accumulate from the view
  increments with platform-specific per-view ratios, so every lifetime counter is monotone
  except for the planted spam-removal decreases.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np

from dagster_project.ingest.schema import (
    CONTENT_FORMATS,
    COUNTER_FIELDS,
    METADATA_FIELDS,
    PLATFORMS,
    SNAPSHOT_COLUMNS,
)

__all__ = [
    "DEFAULT_END_DATE",
    "DIRTY_KINDS",
    "GROUND_TRUTH_FILENAME",
    "GenerationSummary",
    "SyntheticSpec",
    "generate",
]

DEFAULT_END_DATE: Final = dt.date(2026, 11, 1)
GROUND_TRUTH_FILENAME: Final = "_ground_truth.json"

DAY: Final = 86_400
HOUR: Final = 3_600

#: Share of snapshots delivered into the next day's landing folder.
LATE_SHARE: Final = 0.01
#: Share of items published before the window (up to 30 days before its first day).
PRE_WINDOW_SHARE: Final = 0.25
PRE_WINDOW_DAYS: Final = 30
#: Planted events only hit items with at least this many expected views per day around the date.
MIN_EVENT_DAILY_VIEWS: Final = 30

#: Dirty record kinds; each dirty row violates exactly one of these rules.
DIRTY_KINDS: Final = (
    "missing_content_id",
    "unknown_platform",
    "non_numeric_counter",
    "negative_counter",
    "unparseable_captured_at",
    "future_captured_at",
    "captured_before_published",
    "duplicate_row",
    "malformed_json",
)

# ----------------------------------------------------------------------------------------------
# Platform models
# ----------------------------------------------------------------------------------------------

_PREFIX: Final = {
    "youtube": "yt",
    "tiktok": "tt",
    "instagram": "ig",
    "linkedin": "li",
    "twitter": "tw",
}

#: Landing file format per platform (both formats are exercised).
FILE_FORMATS: Final = {
    "youtube": "csv",
    "tiktok": "jsonl",
    "instagram": "jsonl",
    "linkedin": "csv",
    "twitter": "csv",
}


@dataclass(frozen=True)
class _PlatformModel:
    creator_share: float
    base_views: float  # median view potential of an average creator/item
    tau_days: float  # time constant of the launch curve
    tail_per_day: float  # slow long-tail growth, share of the potential per day
    weekly: tuple[float, ...]  # Mon..Sun multipliers on increments
    formats: dict[str, float]
    ratios: dict[str, float]  # per-view ratios of likes/comments/shares/saves that exist
    watch_fraction: float | None  # average share of the duration watched (short content)
    watch_formats: tuple[str, ...]
    impressions_per_view: float | None
    reach_per_impression: float | None
    engagement_rate: bool
    hashtags: tuple[int, int]


_PLATFORM_MODELS: Final = {
    "youtube": _PlatformModel(
        creator_share=0.26,
        base_views=15_000,
        tau_days=3.0,
        tail_per_day=0.008,
        weekly=(0.95, 0.95, 0.96, 0.98, 1.02, 1.12, 1.15),
        formats={"video": 0.7, "short": 0.25, "live": 0.05},
        ratios={"likes": 0.04, "comments": 0.004, "shares": 0.002},
        watch_fraction=0.6,
        watch_formats=("video", "short", "live"),
        impressions_per_view=16.0,
        reach_per_impression=None,
        engagement_rate=False,
        hashtags=(0, 10),
    ),
    "tiktok": _PlatformModel(
        creator_share=0.24,
        base_views=30_000,
        tau_days=1.2,
        tail_per_day=0.004,
        weekly=(0.95, 0.93, 0.95, 0.98, 1.05, 1.15, 1.12),
        formats={"short": 0.92, "live": 0.08},
        ratios={"likes": 0.08, "comments": 0.008, "shares": 0.006, "saves": 0.01},
        watch_fraction=0.75,
        watch_formats=("short", "live"),
        impressions_per_view=None,
        reach_per_impression=None,
        engagement_rate=False,
        hashtags=(0, 12),
    ),
    "instagram": _PlatformModel(
        creator_share=0.20,
        base_views=6_000,
        tau_days=0.8,
        tail_per_day=0.003,
        weekly=(0.97, 0.97, 0.98, 1.0, 1.02, 1.06, 1.05),
        formats={"reel": 0.45, "image": 0.25, "carousel": 0.2, "story": 0.1},
        ratios={"likes": 0.06, "comments": 0.005, "shares": 0.004, "saves": 0.008},
        watch_fraction=0.65,
        watch_formats=("reel",),
        impressions_per_view=1.3,
        reach_per_impression=0.72,
        engagement_rate=True,
        hashtags=(0, 15),
    ),
    "linkedin": _PlatformModel(
        creator_share=0.15,
        base_views=2_500,
        tau_days=1.0,
        tail_per_day=0.002,
        weekly=(1.12, 1.15, 1.15, 1.1, 0.95, 0.55, 0.6),
        formats={"text": 0.4, "article": 0.15, "image": 0.2, "video": 0.1, "carousel": 0.15},
        ratios={"likes": 0.02, "comments": 0.003, "shares": 0.001},
        watch_fraction=0.5,
        watch_formats=("video",),
        impressions_per_view=1.8,
        reach_per_impression=0.65,
        engagement_rate=True,
        hashtags=(0, 5),
    ),
    "twitter": _PlatformModel(
        creator_share=0.15,
        base_views=4_000,
        tau_days=0.25,
        tail_per_day=0.001,
        weekly=(1.05, 1.05, 1.05, 1.03, 1.0, 0.88, 0.9),
        formats={"text": 0.6, "image": 0.25, "video": 0.15},
        ratios={"likes": 0.015, "comments": 0.002, "shares": 0.003, "saves": 0.002},
        watch_fraction=None,
        watch_formats=(),
        impressions_per_view=None,
        reach_per_impression=None,
        engagement_rate=True,
        hashtags=(0, 3),
    ),
}

#: (platform, format) -> (median seconds, lognormal sigma, min, max); other formats have none.
_DURATIONS: Final = {
    ("youtube", "video"): (600, 0.6, 60, 3600),
    ("youtube", "short"): (35, 0.4, 10, 60),
    ("youtube", "live"): (3600, 0.4, 1200, 10800),
    ("tiktok", "short"): (40, 0.7, 8, 600),
    ("tiktok", "live"): (2400, 0.4, 600, 7200),
    ("instagram", "reel"): (35, 0.7, 5, 180),
    ("instagram", "story"): (12, 0.3, 5, 15),
    ("linkedin", "video"): (90, 0.6, 15, 600),
    ("twitter", "video"): (45, 0.6, 5, 140),
}

# ----------------------------------------------------------------------------------------------
# Planted content effects (multiplicative factors on an item's view potential)
# ----------------------------------------------------------------------------------------------

_BINARY_EFFECTS: Final = {
    "title_over_60_chars": (0.80, "len(title) > 60", PLATFORMS),
    "question_in_title": (1.30, "'?' in title", PLATFORMS),
    "number_in_title": (1.15, "title contains a digit", PLATFORMS),
    "evening_publish": (1.25, "17 <= local publish hour <= 21", PLATFORMS),
    "night_publish": (0.75, "local publish hour <= 5", PLATFORMS),
    "hashtags_3_to_6": (1.10, "3 <= len(tags) <= 6", PLATFORMS),
    "hashtags_over_8": (0.85, "len(tags) > 8", PLATFORMS),
    "short_form_over_60s": (0.75, "duration_seconds > 60", ("tiktok", "instagram")),
    "youtube_8_to_20_min": (
        1.25,
        "format == 'video' and 480 <= duration_seconds <= 1200",
        ("youtube",),
    ),
}

_FORMAT_FACTORS: Final = {
    "video": 1.0,
    "short": 1.3,
    "reel": 1.25,
    "story": 0.5,
    "image": 0.8,
    "carousel": 1.1,
    "text": 0.9,
    "article": 0.7,
    "live": 0.6,
}
assert set(_FORMAT_FACTORS) == set(CONTENT_FORMATS)

#: category -> (factor, topics, tags)
_CATEGORIES: Final = {
    "entertainment": (
        1.30,
        ("movie trailers", "celebrity interviews", "stand-up comedy", "reality shows"),
        ("movies", "comedy", "funny", "celebs", "tv", "cinema"),
    ),
    "education": (
        1.00,
        ("learning languages", "study habits", "history myths", "basic physics"),
        ("education", "study", "learning", "science", "history", "school"),
    ),
    "technology": (
        1.10,
        ("budget smartphones", "home automation", "open source tools", "AI assistants"),
        ("tech", "gadgets", "ai", "coding", "smarthome", "review"),
    ),
    "gaming": (
        1.20,
        ("indie games", "speedrunning", "retro consoles", "open world games"),
        ("gaming", "gamer", "indiegames", "retro", "esports", "letsplay"),
    ),
    "lifestyle": (
        0.95,
        ("minimalist living", "morning routines", "home organisation", "capsule wardrobes"),
        ("lifestyle", "minimalism", "routine", "home", "selfcare", "vlog"),
    ),
    "news": (
        0.85,
        ("local elections", "climate policy", "housing prices", "space missions"),
        ("news", "politics", "climate", "economy", "space", "breaking"),
    ),
    "business": (
        0.90,
        ("remote teams", "personal branding", "startup funding", "pricing strategy"),
        ("business", "startup", "marketing", "leadership", "career", "sales"),
    ),
    "food": (
        1.05,
        ("cold brew coffee", "sourdough bread", "meal prep", "street food"),
        ("food", "recipe", "cooking", "foodie", "baking", "coffee"),
    ),
    "travel": (
        1.00,
        ("budget travel", "night trains", "hidden beaches", "solo travel"),
        ("travel", "wanderlust", "trip", "backpacking", "beach", "europe"),
    ),
    "fitness": (
        1.00,
        ("strength training", "marathon prep", "mobility drills", "home workouts"),
        ("fitness", "workout", "gym", "running", "health", "training"),
    ),
}
_CATEGORY_NAMES: Final = tuple(_CATEGORIES)

_GENERIC_TAGS: Final = (
    "fyp",
    "viral",
    "trending",
    "tips",
    "howto",
    "daily",
    "creator",
    "explore",
    "new",
    "learn",
    "community",
    "weekend",
)

_TITLE_QUESTION: Final = (
    "Is {t} worth it",
    "Why is everyone talking about {t}",
    "Can {t} really change your week",
    "Should you try {t}",
    "What nobody tells you about {t}",
)
_TITLE_QUESTION_NUMBER: Final = (
    "Is {t} worth it after {n} days",
    "Can you learn {t} in {n} days",
    "Are these {n} {t} tips any good",
    "Would you try {t} for {n} weeks",
)
_TITLE_NUMBER: Final = (
    "{n} {t} mistakes to avoid",
    "I tried {t} for {n} days",
    "Top {n} {t} ideas",
    "{n} things I learned from {t}",
)
_TITLE_PLAIN: Final = (
    "My honest take on {t}",
    "A beginner guide to {t}",
    "{T} explained simply",
    "Inside the world of {t}",
    "The truth about {t}",
)
_TITLE_LONG_PREFIX: Final = (
    "The complete breakdown for beginners and pros alike: ",
    "Everything you need to know before you start, explained: ",
    "After a long month of testing, here is my honest verdict: ",
)
_DESCRIPTION_TAIL: Final = (
    "New uploads every week, thanks for watching.",
    "Let me know what you think in the comments.",
    "Links and sources are in the pinned comment.",
    "Save this for later and share it with a friend.",
)

#: IANA time zone -> local language (creators may still post in English).
_TIMEZONES: Final = (
    ("America/New_York", "en"),
    ("America/Chicago", "en"),
    ("America/Los_Angeles", "en"),
    ("America/Sao_Paulo", "pt"),
    ("Europe/London", "en"),
    ("Europe/Berlin", "de"),
    ("Europe/Paris", "fr"),
    ("Europe/Madrid", "es"),
    ("Asia/Kolkata", "en"),
    ("Asia/Singapore", "en"),
    ("Asia/Tokyo", "ja"),
    ("Australia/Sydney", "en"),
)
_FIRST_NAMES: Final = (
    "Maya",
    "Jonas",
    "Aiko",
    "Lucas",
    "Priya",
    "Noah",
    "Elena",
    "Omar",
    "Sofia",
    "Finn",
    "Leila",
    "Mateo",
    "Hana",
    "Theo",
    "Zara",
    "Ravi",
)
_HANDLES: Final = (
    "Makes",
    "Explains",
    "Cooks",
    "Builds",
    "Travels",
    "Codes",
    "Plays",
    "Lifts",
    "Talks",
    "Reviews",
    "Daily",
    "Studio",
)

#: Relative weights of local publish hours 0..23.
_PUBLISH_HOUR_WEIGHTS: Final = (
    0.35,
    0.3,
    0.25,
    0.25,
    0.25,
    0.3,
    0.5,
    0.8,
    1.0,
    1.0,
    1.0,
    1.0,
    1.2,
    1.1,
    1.0,
    1.0,
    1.1,
    1.3,
    1.4,
    1.4,
    1.3,
    1.1,
    0.8,
    0.5,
)

#: Experiments: (platform preference, primary metric, true lift, treatment).
_EXPERIMENTS: Final = (
    ("youtube", "views", 0.20, "thumbnail"),
    ("tiktok", "views", 0.0, "identical upload (A/A)"),
    ("instagram", "likes", 0.15, "caption call-to-action"),
    ("linkedin", "views", -0.12, "link in post body"),
)

_COL: Final = {name: i for i, name in enumerate(SNAPSHOT_COLUMNS)}
_META_START: Final = _COL[METADATA_FIELDS[0]]
_COUNTER_COLS: Final = tuple(_COL[c] for c in COUNTER_FIELDS)


# ----------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticSpec:
    """What to generate; the same spec always yields byte-identical files."""

    items: int = 500
    days: int = 60
    end_date: dt.date = DEFAULT_END_DATE  # last landing day (inclusive)
    snapshots_per_day: int = 4
    seed: int = 42
    dirty_fraction: float = 0.002  # share of rows written as dirty records
    workspace_id: str = "default"

    @property
    def start_date(self) -> dt.date:
        """First landing day (inclusive)."""
        return self.end_date - dt.timedelta(days=self.days - 1)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["end_date"] = self.end_date.isoformat()
        out["start_date"] = self.start_date.isoformat()
        return out


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote."""

    landing_dir: Path
    files: int
    rows: int  # data records written (CSV rows / JSON lines, dirty ones included)
    dirty_rows: int
    items: int
    days: int
    ground_truth_path: Path
    rows_by_platform: dict[str, int] = field(default_factory=dict)
    files_by_format: dict[str, int] = field(default_factory=dict)
    late_snapshots: int = 0
    start_date: dt.date | None = None
    end_date: dt.date | None = None


_DEFAULT_SPEC: Final = SyntheticSpec()


def generate(landing_dir: Path, spec: SyntheticSpec = _DEFAULT_SPEC) -> GenerationSummary:
    """Write synthetic landing files and ``_ground_truth.json`` under ``landing_dir``.

    Files of the same name are overwritten; other files in ``landing_dir`` are left alone, so
    use an empty directory for a clean data set.
    """
    _validate(spec)
    return _Generator(Path(landing_dir), spec).run()


# ----------------------------------------------------------------------------------------------
# Implementation
# ----------------------------------------------------------------------------------------------


def _validate(spec: SyntheticSpec) -> None:
    if spec.items < 1:
        raise ValueError("items must be >= 1")
    if spec.days < 1:
        raise ValueError("days must be >= 1")
    if not 1 <= spec.snapshots_per_day <= 96:
        raise ValueError("snapshots_per_day must be within 1..96")
    if spec.seed < 0:
        raise ValueError("seed must be >= 0")
    if not 0.0 <= spec.dirty_fraction <= 0.5:
        raise ValueError("dirty_fraction must be within 0..0.5")
    if not spec.workspace_id:
        raise ValueError("workspace_id must not be empty")


def _rng(seed: int, stream: str) -> np.random.Generator:
    """An independent, reproducible random stream per concern."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(int(ts), tz=dt.UTC).isoformat()


def _iso_many(ts: np.ndarray) -> list[str]:
    text = np.datetime_as_string(ts.astype("datetime64[s]"), unit="s")
    return [f"{t}+00:00" for t in text.tolist()]


def _r(x: float, digits: int = 6) -> float:
    return round(float(x), digits)


def _choice(rng: np.random.Generator, options: Sequence[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


@dataclass
class _Creator:
    creator_id: str
    name: str
    platform: str
    timezone: str
    language: str
    main_category: str
    audience_scale: float
    activity: float


@dataclass
class _Item:
    creator: int
    platform: str
    published_ts: int
    local_hour: int
    utc_offset: int  # seconds, at publish time
    title: str
    description: str
    category: str
    format: str
    duration: int | None
    tags: list[str]
    language: str
    quality: float
    ratios: dict[str, float]
    watch_per_view: float | None
    impressions_per_view: float | None
    reach_per_impression: float | None
    tau_days: float
    content_id: str = ""
    experiment: str | None = None
    variant: str | None = None
    lift_views: float = 1.0
    features: dict[str, Any] = field(default_factory=dict)
    effects_applied: list[str] = field(default_factory=list)
    effect_multiplier: float = 1.0
    potential: float = 0.0


class _Generator:
    def __init__(self, landing_dir: Path, spec: SyntheticSpec) -> None:
        self.dir = landing_dir
        self.spec = spec
        self.start_ts = int(dt.datetime.combine(spec.start_date, dt.time(), tzinfo=dt.UTC).timestamp())
        self.end_ts = self.start_ts + spec.days * DAY  # exclusive
        self.spd = spec.snapshots_per_day
        self.K = spec.days * self.spd
        self.creators: list[_Creator] = []
        self.items: list[_Item] = []
        self.experiments: list[dict[str, Any]] = []
        self._spare_candidates: list[int] = []
        self._schedule()

    def _schedule(self) -> None:
        """Capture runs: one per platform and slot, with jitter; items add a few seconds."""
        rng = _rng(self.spec.seed, "schedule")
        period = DAY // self.spd
        k = np.arange(self.K)
        self.day_of_k = k // self.spd
        slot = k % self.spd
        jitter_hi = max(61, period - 180)
        self.run_offset = slot[None, :] * period + rng.integers(60, jitter_hi, size=(len(PLATFORMS), self.K))
        self.item_offset = rng.integers(0, 120, size=self.spec.items)
        last_day = self.start_ts + (self.spec.days - 1) * DAY
        # latest publish time that still leaves at least one snapshot 30 minutes later
        self.publish_limit = {
            p: int(last_day + self.run_offset[j, -1] - 1800) for j, p in enumerate(PLATFORMS)
        }

    def _clamp_publish(self, platform: str, ts: int) -> int:
        limit = self.publish_limit[platform]
        if ts >= limit:
            ts -= ((ts - limit) // DAY + 1) * DAY
        return ts

    # -- entities ------------------------------------------------------------------------------

    def _make_creators(self) -> None:
        spec = self.spec
        rng = _rng(spec.seed, "creators")
        n = max(1, min(40, max(len(PLATFORMS), round(spec.items / 15)), spec.items))
        shares = np.array([_PLATFORM_MODELS[p].creator_share for p in PLATFORMS])
        plats = [PLATFORMS[j % len(PLATFORMS)] for j in range(min(n, len(PLATFORMS)))]
        plats += [PLATFORMS[int(j)] for j in rng.choice(len(PLATFORMS), n - len(plats), p=shares)]
        names = rng.permutation(len(_FIRST_NAMES) * len(_HANDLES))
        counters = dict.fromkeys(PLATFORMS, 0)
        for j, plat in enumerate(plats):
            counters[plat] += 1
            tz, local_lang = _choice(rng, _TIMEZONES)
            lang = local_lang if local_lang == "en" or rng.random() < 0.8 else "en"
            name_idx = int(names[j % len(names)])
            first = _FIRST_NAMES[name_idx // len(_HANDLES)]
            handle = _HANDLES[name_idx % len(_HANDLES)]
            self.creators.append(
                _Creator(
                    creator_id=f"{_PREFIX[plat]}-creator-{counters[plat]:03d}",
                    name=f"{first} {handle}",
                    platform=plat,
                    timezone=tz,
                    language=lang,
                    main_category=_choice(rng, _CATEGORY_NAMES),
                    audience_scale=float(rng.lognormal(0.0, 0.9)),
                    activity=float(rng.lognormal(0.0, 0.5)),
                )
            )

    def _make_title(self, rng: np.random.Generator, topic: str) -> str:
        question = rng.random() < 0.3
        number = rng.random() < 0.3
        long = rng.random() < 0.3
        n = int(rng.integers(3, 31))
        if question and number:
            template = _choice(rng, _TITLE_QUESTION_NUMBER)
        elif question:
            template = _choice(rng, _TITLE_QUESTION)
        elif number:
            template = _choice(rng, _TITLE_NUMBER)
        else:
            template = _choice(rng, _TITLE_PLAIN)
        core = template.format(t=topic, T=topic[0].upper() + topic[1:], n=n)
        if long:
            core = _choice(rng, _TITLE_LONG_PREFIX) + core[0].lower() + core[1:]
        return core + ("?" if question else "")

    def _make_items(self) -> None:
        spec = self.spec
        rng = _rng(spec.seed, "items")
        activity = np.array([c.activity for c in self.creators])
        n_forced = min(len(self.creators), spec.items)
        owners = list(range(n_forced)) + [
            int(j) for j in rng.choice(len(self.creators), spec.items - n_forced, p=activity / activity.sum())
        ]
        hour_p = np.array(_PUBLISH_HOUR_WEIGHTS) / sum(_PUBLISH_HOUR_WEIGHTS)
        zones: dict[str, ZoneInfo] = {}
        for owner in owners:
            creator = self.creators[owner]
            plat = creator.platform
            model = _PLATFORM_MODELS[plat]
            fmts = list(model.formats)
            fmt = fmts[int(rng.choice(len(fmts), p=np.array(list(model.formats.values()))))]
            category = creator.main_category if rng.random() < 0.7 else _choice(rng, _CATEGORY_NAMES)
            _, topics, cat_tags = _CATEGORIES[category]
            topic = _choice(rng, topics)
            title = self._make_title(rng, topic)
            description = f"{title} {_choice(rng, _DESCRIPTION_TAIL)}"
            lo, hi = model.hashtags
            vocab = cat_tags + _GENERIC_TAGS
            n_tags = int(rng.integers(lo, hi + 1))
            tags = [vocab[int(j)] for j in rng.choice(len(vocab), n_tags, replace=False)]
            duration = None
            if (plat, fmt) in _DURATIONS:
                median, sigma, dmin, dmax = _DURATIONS[(plat, fmt)]
                duration = int(np.clip(round(median * rng.lognormal(0.0, sigma)), dmin, dmax))
            ratios = {name: base * float(rng.lognormal(0.0, 0.3)) for name, base in model.ratios.items()}
            watch = None
            if model.watch_fraction is not None and fmt in model.watch_formats and duration:
                frac = model.watch_fraction * (60.0 / (60.0 + duration)) ** 0.25
                frac = min(0.98, frac * float(rng.lognormal(0.0, 0.15)))
                watch = duration * frac
            imp = None
            if model.impressions_per_view is not None:  # impressions >= views
                imp = max(1.25, model.impressions_per_view * float(rng.lognormal(0.0, 0.25)))
            reach = None
            if model.reach_per_impression is not None:
                reach = min(0.95, model.reach_per_impression * float(rng.lognormal(0.0, 0.1)))
            # publish time: local hour drawn from a daily profile, converted to UTC
            if rng.random() < PRE_WINDOW_SHARE:
                base = self.start_ts - rng.random() * PRE_WINDOW_DAYS * DAY
            else:
                base = self.start_ts + rng.random() * (self.end_ts - self.start_ts - 6 * HOUR)
            zone = zones.setdefault(creator.timezone, ZoneInfo(creator.timezone))
            base_dt = dt.datetime.fromtimestamp(int(base), tz=dt.UTC)
            offset = int(zone.utcoffset(base_dt.replace(tzinfo=None)).total_seconds())
            local_hour = int(rng.choice(24, p=hour_p))
            minute = int(rng.integers(60))
            local_day = (int(base) + offset) // DAY * DAY
            published = local_day + local_hour * HOUR + minute * 60 - offset
            if published < self.start_ts - PRE_WINDOW_DAYS * DAY:
                published += DAY
            published = self._clamp_publish(plat, published)
            self.items.append(
                _Item(
                    creator=owner,
                    platform=plat,
                    published_ts=published,
                    local_hour=local_hour,
                    utc_offset=offset,
                    title=title,
                    description=description,
                    category=category,
                    format=fmt,
                    duration=duration,
                    tags=tags,
                    language=creator.language,
                    quality=float(rng.lognormal(0.0, 0.5)),
                    ratios=ratios,
                    watch_per_view=watch,
                    impressions_per_view=imp,
                    reach_per_impression=reach,
                    tau_days=model.tau_days * float(rng.lognormal(0.0, 0.25)),
                )
            )

    def _make_experiments(self) -> None:
        """Clone items into A/B pairs that differ only by a known lift."""
        spec = self.spec
        rng = _rng(spec.seed, "experiments")
        if spec.items < 8 or spec.days < 2:
            return
        n_exp = min(len(_EXPERIMENTS), max(2, spec.items // 10))
        n_pairs = int(np.clip(spec.items // 100, 1, 4))
        used = np.zeros(len(self.items), dtype=bool)
        last_start_day = max(0, int(spec.days * 0.4))
        for e, (pref, metric, lift, treatment) in enumerate(_EXPERIMENTS[:n_exp]):
            by_plat = {
                p: [i for i, it in enumerate(self.items) if it.platform == p and not used[i]]
                for p in PLATFORMS
            }
            plat = pref
            if len(by_plat[plat]) < 2 * n_pairs:
                plat = max(PLATFORMS, key=lambda p: len(by_plat[p]))
                if len(by_plat[plat]) < 2 * n_pairs:
                    continue
            chosen = [by_plat[plat][int(j)] for j in rng.permutation(len(by_plat[plat]))]
            chosen = chosen[: 2 * n_pairs]
            used[chosen] = True
            start_day = int(rng.integers(0, last_start_day + 1))
            start_ts = self.start_ts + start_day * DAY
            exp_id = f"exp-{e + 1:03d}"
            pairs = []
            for a_idx, b_idx in zip(chosen[0::2], chosen[1::2], strict=True):
                a = self.items[a_idx]
                time_of_day = a.published_ts % DAY
                a.published_ts = self._clamp_publish(
                    plat, start_ts + int(rng.integers(0, 3)) * DAY + time_of_day
                )
                clone = _Item(**{**a.__dict__, "tags": list(a.tags), "ratios": dict(a.ratios)})
                clone.published_ts = a.published_ts + int(rng.integers(60, 900))
                if metric == "views":
                    clone.lift_views = 1.0 + lift
                else:
                    clone.ratios[metric] = clone.ratios[metric] * (1.0 + lift)
                a.experiment, a.variant = exp_id, "A"
                clone.experiment, clone.variant = exp_id, "B"
                self.items[b_idx] = clone
                pairs.append((a_idx, b_idx))
            self.experiments.append(
                {
                    "experiment_id": exp_id,
                    "platform": plat,
                    "treatment": treatment,
                    "primary_metric": metric,
                    "true_lift": lift,
                    "is_aa": lift == 0.0,
                    "start_date": (spec.start_date + dt.timedelta(days=start_day)).isoformat(),
                    "end_date": min(
                        spec.end_date, spec.start_date + dt.timedelta(days=start_day + 14)
                    ).isoformat(),
                    "_pairs": pairs,
                }
            )

    def _finalise_items(self) -> None:
        """Order items by publish time, assign ids, compute features and view potential."""
        order = sorted(range(len(self.items)), key=lambda i: (self.items[i].published_ts, i))
        position = {old: new for new, old in enumerate(order)}
        self.items = [self.items[i] for i in order]
        for exp in self.experiments:
            exp["_pairs"] = [(position[a], position[b]) for a, b in exp["_pairs"]]
        for n, it in enumerate(self.items, start=1):
            it.content_id = f"{_PREFIX[it.platform]}-{n:06d}"
        for exp in self.experiments:
            exp["variants"] = {
                "A": [self.items[a].content_id for a, _ in exp["_pairs"]],
                "B": [self.items[b].content_id for _, b in exp["_pairs"]],
            }
        for it in self.items:
            creator = self.creators[it.creator]
            feats = {
                "title_length": len(it.title),
                "has_question": "?" in it.title,
                "has_number": any(ch.isdigit() for ch in it.title),
                "publish_hour_local": it.local_hour,
                "publish_weekday_local": dt.datetime.fromtimestamp(
                    it.published_ts + it.utc_offset, tz=dt.UTC
                ).strftime("%a"),
                "hashtag_count": len(it.tags),
                "duration_seconds": it.duration,
                "category": it.category,
                "format": it.format,
            }
            conditions = {
                "title_over_60_chars": feats["title_length"] > 60,
                "question_in_title": feats["has_question"],
                "number_in_title": feats["has_number"],
                "evening_publish": 17 <= it.local_hour <= 21,
                "night_publish": it.local_hour <= 5,
                "hashtags_3_to_6": 3 <= len(it.tags) <= 6,
                "hashtags_over_8": len(it.tags) > 8,
                "short_form_over_60s": it.duration is not None and it.duration > 60,
                "youtube_8_to_20_min": it.format == "video"
                and it.duration is not None
                and 480 <= it.duration <= 1200,
            }
            mult = _CATEGORIES[it.category][0] * _FORMAT_FACTORS[it.format]
            applied = []
            for name, hit in conditions.items():
                factor, _, platforms = _BINARY_EFFECTS[name]
                if hit and it.platform in platforms:
                    mult *= factor
                    applied.append(name)
            it.features = feats
            it.effects_applied = applied
            it.effect_multiplier = mult
            base = _PLATFORM_MODELS[it.platform].base_views
            it.potential = base * creator.audience_scale * it.quality * mult * it.lift_views

    # -- simulation ----------------------------------------------------------------------------

    def _time_grid(self) -> None:
        self.plat_idx = np.array([PLATFORMS.index(it.platform) for it in self.items])
        self.T = (
            self.start_ts
            + self.day_of_k[None, :] * DAY
            + self.run_offset[self.plat_idx]
            + self.item_offset[:, None]
        ).astype(np.int64)
        self.pub = np.array([it.published_ts for it in self.items], dtype=np.int64)
        self.valid = self.pub[:, None] < self.T
        self.first_k = self.valid.argmax(axis=1)

    def _choose_events(self, daily: np.ndarray) -> None:
        """Pick items/dates for anomalies, level shifts and trend changes.

        ``daily`` holds each item's expected daily view delta (items x days) before events; an
        event needs a baseline of at least ``MIN_EVENT_DAILY_VIEWS`` around its date so it is
        detectable, and the item must be at least three days old.
        """
        spec = self.spec
        rng = _rng(spec.seed, "events")
        self.anomalies: list[dict[str, Any]] = []
        self.level_shifts: list[dict[str, Any]] = []
        self.trend_changes: list[dict[str, Any]] = []
        candidates = [
            int(i) for i in rng.permutation(len(self.items)) if self.items[int(i)].experiment is None
        ]
        self._spare_candidates = candidates
        if spec.days < 4:
            return
        d_lo, d_hi = max(1, min(5, spec.days // 3)), spec.days - 2
        wanted = [
            ("anomaly", max(2, round(spec.items * 0.04))),
            ("level_shift", max(1, round(spec.items * 0.02))),
            ("trend_change", max(1, round(spec.items * 0.02))),
        ]
        pos = 0
        for kind, count in wanted:
            made = 0
            while made < count and pos < len(candidates):
                i = candidates[pos]
                pos += 1
                pub_day = math.floor((self.pub[i] - self.start_ts) / DAY)
                lo = max(d_lo, pub_day + 3)
                days_ok = [
                    d for d in range(lo, d_hi + 1) if daily[i, d - 1 : d + 2].min() >= MIN_EVENT_DAILY_VIEWS
                ]
                if not days_ok:
                    continue
                d = days_ok[int(rng.integers(len(days_ok)))]
                it = self.items[i]
                entry: dict[str, Any] = {
                    "content_id": it.content_id,
                    "platform": it.platform,
                    "date": (spec.start_date + dt.timedelta(days=d)).isoformat(),
                    "_i": i,
                    "_d": d,
                }
                if kind == "anomaly":
                    spike = rng.random() < 0.6
                    factor = rng.uniform(3.0, 8.0) if spike else rng.uniform(0.05, 0.3)
                    entry.update(kind="spike" if spike else "drop", factor=_r(factor, 4))
                    entry["size"] = entry["factor"]
                    self.anomalies.append(entry)
                elif kind == "level_shift":
                    up = rng.random() < 0.5
                    factor = rng.uniform(1.8, 3.0) if up else rng.uniform(0.3, 0.55)
                    entry.update(kind="level_shift", factor=_r(factor, 4))
                    entry["size"] = entry["factor"]
                    self.level_shifts.append(entry)
                else:
                    sign = 1.0 if rng.random() < 0.5 else -1.0
                    slope = sign * rng.uniform(0.02, 0.06)
                    entry.update(kind="trend_change", slope_per_day=_r(slope, 4))
                    entry["size"] = entry["slope_per_day"]
                    self.trend_changes.append(entry)
                made += 1
        self._spare_candidates = candidates[pos:]

    def _simulate(self) -> None:
        rng = _rng(self.spec.seed, "simulation")
        n, K = len(self.items), self.K
        T, valid = self.T, self.valid
        tau = np.array([it.tau_days for it in self.items])[:, None]
        tail = np.array([_PLATFORM_MODELS[it.platform].tail_per_day for it in self.items])[:, None]
        potential = np.array([it.potential for it in self.items])[:, None]
        age = np.clip((T - self.pub[:, None]) / DAY, 0.0, None)
        curve = 1.0 - np.exp(-age / tau) + tail * age
        prev = np.concatenate([np.zeros((n, 1)), curve[:, :-1]], axis=1)
        base_inc = np.where(valid, potential * (curve - prev), 0.0)

        weekly = np.array([_PLATFORM_MODELS[p].weekly for p in PLATFORMS])
        weekday = np.array(
            [(self.spec.start_date + dt.timedelta(days=int(d))).weekday() for d in range(self.spec.days)]
        )
        season = weekly[self.plat_idx][:, weekday[self.day_of_k]]
        offsets = np.array([it.utc_offset for it in self.items])[:, None]
        mid = T - (DAY // self.spd) // 2 + offsets
        local_hour = (mid % DAY) / HOUR
        diurnal = 1.0 + 0.35 * np.cos(2 * np.pi * (local_hour - 20.0) / 24.0)
        mod = season * diurnal
        rows = np.arange(n)
        mod[rows, self.first_k] = 1.0  # the launch lump before the first snapshot
        mod = mod * rng.lognormal(0.0, 0.12, size=(n, K))
        self._choose_events((base_inc * mod).reshape(n, self.spec.days, self.spd).sum(axis=2))

        day_k = self.day_of_k[None, :]
        for ev in self.anomalies:
            i, d = ev["_i"], ev["_d"]
            mod[i, self.day_of_k == d] *= ev["factor"]
        for ev in self.level_shifts:
            i, d = ev["_i"], ev["_d"]
            mod[i, self.day_of_k >= d] *= ev["factor"]
        for ev in self.trend_changes:
            i, d = ev["_i"], ev["_d"]
            since = np.clip((T[i] - (self.start_ts + d * DAY)) / DAY, 0.0, None)
            mod[i] *= np.where(day_k[0] >= d, np.exp(ev["slope_per_day"] * since), 1.0)
        views_inc = base_inc * mod
        for ev in self.anomalies:
            i, d = ev["_i"], ev["_d"]
            actual = float(views_inc[i, self.day_of_k == d].sum())
            ev["expected_delta"] = round(actual / ev["factor"])
            ev["actual_delta"] = round(actual)
            ev["metric"] = "views"
        for ev in (*self.level_shifts, *self.trend_changes):
            ev["metric"] = "views"

        cum: dict[str, np.ndarray] = {"views": np.cumsum(views_inc, axis=1)}
        present: dict[str, np.ndarray] = {"views": np.ones(n, dtype=bool)}

        def accumulate(
            name: str, source: np.ndarray, per_item: list[float | None], sigma: float
        ) -> np.ndarray:
            ratio = np.array([0.0 if v is None else v for v in per_item])[:, None]
            noise = rng.lognormal(0.0, sigma, size=(n, K))
            # reach never exceeds impressions
            factor = np.clip(ratio * noise, 0.0, 0.98) if name == "reach" else ratio * noise
            inc = source * factor
            cum[name] = np.cumsum(inc, axis=1)
            present[name] = np.array([v is not None for v in per_item])
            return inc

        for name in ("likes", "comments", "shares", "saves"):
            accumulate(name, views_inc, [it.ratios.get(name) for it in self.items], 0.3)
        accumulate("watch_time_seconds", views_inc, [it.watch_per_view for it in self.items], 0.1)
        imp_inc = accumulate("impressions", views_inc, [it.impressions_per_view for it in self.items], 0.1)
        accumulate("reach", imp_inc, [it.reach_per_impression for it in self.items], 0.05)

        self._plant_decreases(rng, cum)

        self.counters: dict[str, np.ndarray] = {}
        for name in COUNTER_FIELDS:
            values = np.floor(cum[name]).astype(np.int64)
            values[~present[name]] = -1
            values[~valid] = -1
            self.counters[name] = values
        views = self.counters["views"]
        eng = np.zeros((n, K))
        for name in ("likes", "comments", "shares", "saves"):
            eng += np.clip(self.counters[name], 0, None)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(views > 0, eng / np.maximum(views, 1), np.nan)
        has_rate = np.array([_PLATFORM_MODELS[it.platform].engagement_rate for it in self.items])
        rate[~has_rate] = np.nan
        rate[~valid] = np.nan
        self.rate = np.round(rate, 6)

    def _plant_decreases(self, rng: np.random.Generator, cum: dict[str, np.ndarray]) -> None:
        """Spam removal: a lifetime counter drops once, then grows again from the lower level."""
        self.counter_decreases: list[dict[str, Any]] = []
        self._decrease_cells: set[tuple[int, int]] = set()
        wanted = max(1, round(self.spec.items * 0.01))
        final_views = cum["views"][:, -1]
        spare = sorted(self._spare_candidates, key=lambda i: -final_views[i])
        pool = [i for i in spare if final_views[i] >= 2000] or spare[:wanted]
        pool = [pool[int(j)] for j in rng.permutation(len(pool))]
        for i in pool:
            if len(self.counter_decreases) >= wanted:
                break
            counter = "views" if rng.random() < 0.6 else "likes"
            frac = float(rng.uniform(0.03, 0.12))
            values = cum[counter][i]
            lo = int(self.first_k[i]) + self.spd + 1
            ok = [k for k in range(lo, self.K) if values[k - 1] * frac >= 5.0]
            if not ok:
                continue
            k0 = ok[int(rng.integers(len(ok)))]
            before = math.floor(values[k0 - 1])
            removed = values[k0] - values[k0 - 1] * (1.0 - frac)
            values[k0:] -= removed
            after = math.floor(values[k0])
            it = self.items[i]
            self.counter_decreases.append(
                {
                    "content_id": it.content_id,
                    "platform": it.platform,
                    "captured_at": _iso(int(self.T[i, k0])),
                    "counter": counter,
                    "before": before,
                    "after": after,
                    "amount": before - after,
                    "reason": "spam_removal",
                }
            )
            self._decrease_cells.add((i, k0))

    # -- output --------------------------------------------------------------------------------

    def _metadata(self, it: _Item) -> tuple[list[Any], list[Any]]:
        creator = self.creators[it.creator]
        values = [
            it.title,
            it.description,
            _iso(it.published_ts),
            it.duration,
            it.category,
            it.tags,
            it.language,
            creator.creator_id,
            creator.name,
            creator.timezone,
            it.format,
        ]
        csv_values = list(values)
        csv_values[METADATA_FIELDS.index("tags")] = "|".join(it.tags)
        return csv_values, values

    def _layout_rows(self) -> None:
        """Flatten valid snapshots into rows, mark late ones and sort them into files."""
        rng = _rng(self.spec.seed, "delivery")
        item_of, k_of = np.nonzero(self.valid)
        day = self.day_of_k[k_of]
        decrease = np.zeros(len(item_of), dtype=bool)
        if self._decrease_cells:
            cells = {i * self.K + k for i, k in self._decrease_cells}
            decrease = np.isin(item_of * self.K + k_of, list(cells))
        late = (rng.random(len(item_of)) < LATE_SHARE) & (day < self.spec.days - 1) & ~decrease
        landing = day + late
        ts = self.T[item_of, k_of]
        plat = self.plat_idx[item_of]
        order = np.lexsort((item_of, ts, landing, plat))
        self.r_item = item_of[order]
        self.r_k = k_of[order]
        self.r_late = late[order]
        self.r_decrease = decrease[order]
        self.r_ts = ts[order]
        group_key = plat[order] * (self.spec.days + 1) + landing[order]
        starts = np.flatnonzero(np.r_[True, group_key[1:] != group_key[:-1]])
        self.groups = list(zip(starts.tolist(), np.r_[starts[1:], len(order)].tolist(), strict=True))
        self.r_group = np.repeat(np.arange(len(self.groups)), np.diff(np.r_[starts, len(order)]))
        plat_sorted, landing_sorted = plat[order], landing[order]
        self.group_meta = [(PLATFORMS[int(plat_sorted[s])], int(landing_sorted[s])) for s, _ in self.groups]
        first_key = self.r_group.astype(np.int64) * len(self.items) + self.r_item
        _, first_pos = np.unique(first_key, return_index=True)
        self.r_first = np.zeros(len(order), dtype=bool)
        self.r_first[first_pos] = True
        self.r_json = np.array([FILE_FORMATS[p] == "jsonl" for p in PLATFORMS])[plat[order]]

    def _choose_dirty(self) -> dict[int, str]:
        spec = self.spec
        rng = _rng(spec.seed, "dirty")
        total = len(self.r_item)
        if spec.dirty_fraction <= 0 or total == 0:
            return {}
        # Never corrupt late or decrease rows.  Prefer rows without metadata; when those run
        # out (e.g. one snapshot a day), use first-in-file rows except in the item's earliest
        # file, so every item keeps clean metadata.
        usable = ~self.r_late & ~self.r_decrease
        item_first = np.zeros(total, dtype=bool)
        item_first[np.unique(self.r_item, return_index=True)[1]] = True
        primary = usable & ~self.r_first
        secondary = usable & self.r_first & ~item_first

        def pool(mask: np.ndarray) -> list[int]:
            return [
                *rng.permutation(np.flatnonzero(mask & primary)).tolist(),
                *rng.permutation(np.flatnonzero(mask & secondary)).tolist(),
            ]

        everything = np.ones(total, dtype=bool)
        pool_all, pool_json = pool(everything), pool(self.r_json)
        kinds = [k for k in DIRTY_KINDS if k != "malformed_json" or pool_json]
        count = min(len(pool_all), max(len(kinds), round(spec.dirty_fraction * total)))
        perm_all, perm_json = iter(pool_all), iter(pool_json)
        chosen: dict[int, str] = {}
        for j in range(count):
            kind = kinds[j % len(kinds)]
            source = perm_json if kind == "malformed_json" else perm_all
            for pos in source:
                if pos not in chosen:
                    chosen[pos] = kind
                    break
        return chosen

    def _make_dirty(
        self, row: list[Any], kind: str, rng: np.random.Generator, item: _Item
    ) -> tuple[list[Any], str, Any]:
        """Return the corrupted row, the field touched and the written value."""
        row = list(row)
        if kind == "missing_content_id":
            row[_COL["content_id"]] = None
            return row, "content_id", None
        if kind == "unknown_platform":
            row[_COL["platform"]] = "myspace"
            return row, "platform", "myspace"
        if kind == "non_numeric_counter":
            views = row[_COL["views"]]
            value = f"{views // 1000}k" if views >= 1000 else "abc"
            row[_COL["views"]] = value
            return row, "views", value
        if kind == "negative_counter":
            value = -max(1, row[_COL["likes"]])
            row[_COL["likes"]] = value
            return row, "likes", value
        if kind == "unparseable_captured_at":
            row[_COL["captured_at"]] = "yesterday"
            return row, "captured_at", "yesterday"
        if kind == "future_captured_at":
            value = "2099" + row[_COL["captured_at"]][4:].replace("-02-29T", "-02-28T")
            row[_COL["captured_at"]] = value
            return row, "captured_at", value
        if kind == "captured_before_published":
            # A record claiming a publish time after its own capture (inside the landing
            # window, so this is the only rule it breaks).
            captured = dt.datetime.fromisoformat(row[_COL["captured_at"]])
            value = _iso(int(captured.timestamp()) + int(rng.integers(1, 73)) * HOUR)
            row[_COL["published_at"]] = value
            return row, "captured_at", value
        return row, "", None  # duplicate_row / malformed_json keep the values

    @staticmethod
    def _json_line(row: list[Any]) -> str:
        obj: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        metadata: dict[str, Any] = {}
        for name, value in zip(SNAPSHOT_COLUMNS, row, strict=True):
            if value is None:
                continue
            if name in COUNTER_FIELDS:
                metrics[name] = value
            elif name in METADATA_FIELDS:
                metadata[name] = value
            else:
                obj[name] = value
            if name == "captured_at":
                obj["metrics"] = metrics
        if metadata:
            obj["metadata"] = metadata
        return json.dumps(obj)

    def _write(self) -> dict[str, Any]:
        spec = self.spec
        rng = _rng(spec.seed, "dirty-values")
        dirty = self._choose_dirty()
        ws = spec.workspace_id
        captured = _iso_many(self.r_ts)
        columns = [
            [None if v < 0 else v for v in self.counters[name][self.r_item, self.r_k].tolist()]
            for name in COUNTER_FIELDS
        ]
        counter_rows = list(zip(*columns, strict=True))
        rates = [None if math.isnan(v) else v for v in self.rate[self.r_item, self.r_k].tolist()]
        rate_text = [None if v is None else f"{v:.6f}" for v in rates]
        meta = [self._metadata(it) for it in self.items]
        empty_meta = [None] * len(METADATA_FIELDS)
        r_item = self.r_item.tolist()
        r_first = self.r_first.tolist()
        r_late = self.r_late.tolist()
        files: list[dict[str, Any]] = []
        dirty_rows: list[dict[str, Any]] = []
        late_rows: list[dict[str, Any]] = []
        rows_by_platform = dict.fromkeys(PLATFORMS, 0)
        for g, (start, stop) in enumerate(self.groups):
            plat, landing = self.group_meta[g]
            date = (spec.start_date + dt.timedelta(days=landing)).isoformat()
            ext = FILE_FORMATS[plat]
            rel = f"{plat}/{date}/{plat}-{date}.{ext}"
            is_json = ext == "jsonl"
            line_offset = 0 if is_json else 1  # CSV line 1 is the header
            out: list[Any] = []  # CSV: list of values; JSONL: text lines
            for r in range(start, stop):
                i = r_item[r]
                it = self.items[i]
                row = [ws, it.content_id, plat, captured[r], *counter_rows[r]]
                row.append(rates[r] if is_json else rate_text[r])
                if r_first[r]:
                    row += meta[i][1] if is_json else meta[i][0]
                else:
                    row += empty_meta
                kind = dirty.get(r)
                if kind in (None, "duplicate_row"):
                    out.append(self._json_line(row) if is_json else row)
                    if r_late[r]:
                        late_rows.append(
                            {
                                "content_id": it.content_id,
                                "platform": plat,
                                "captured_at": captured[r],
                                "landing_date": date,
                                "file": rel,
                                "line": len(out) + line_offset,
                            }
                        )
                    if kind is None:
                        continue
                entry: dict[str, Any] = {
                    "file": rel,
                    "line": 0,
                    "kind": kind,
                    "content_id": it.content_id,
                    "captured_at": captured[r],
                }
                if kind == "duplicate_row":
                    out.append(out[-1])
                elif kind == "malformed_json":
                    text = self._json_line(row)
                    cut = int(rng.integers(12, max(13, len(text) // 2)))
                    out.append(text[:cut])
                    entry["value"] = text[:cut]
                else:
                    bad, field_name, value = self._make_dirty(row, kind, rng, it)
                    out.append(self._json_line(bad) if is_json else bad)
                    entry.update(field=field_name, value=value)
                entry["line"] = len(out) + line_offset
                dirty_rows.append(entry)
            path = self.dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as fh:
                if is_json:
                    fh.write("\n".join(out) + "\n")
                else:
                    writer = csv.writer(fh, lineterminator="\n")
                    writer.writerow(SNAPSHOT_COLUMNS)
                    writer.writerows(out)
            rows_by_platform[plat] += len(out)
            files.append(
                {
                    "path": rel,
                    "platform": plat,
                    "landing_date": date,
                    "format": ext,
                    "rows": len(out),
                }
            )
        counts = dict.fromkeys(DIRTY_KINDS, 0)
        for entry in dirty_rows:
            counts[entry["kind"]] += 1
        return {
            "files": files,
            "dirty": {"total": len(dirty_rows), "counts": counts, "rows": dirty_rows},
            "late": {"share": LATE_SHARE, "count": len(late_rows), "rows": late_rows},
            "rows_by_platform": rows_by_platform,
        }

    def _ground_truth(self, written: dict[str, Any]) -> dict[str, Any]:
        spec = self.spec
        views = self.counters["views"]
        items = []
        for i, it in enumerate(self.items):
            creator = self.creators[it.creator]
            last = np.flatnonzero(self.valid[i])
            items.append(
                {
                    "content_id": it.content_id,
                    "platform": it.platform,
                    "creator_id": creator.creator_id,
                    "creator_name": creator.name,
                    "creator_timezone": creator.timezone,
                    "published_at": _iso(it.published_ts),
                    "title": it.title,
                    "features": it.features,
                    "effects_applied": it.effects_applied,
                    "effect_multiplier": _r(it.effect_multiplier),
                    "quality": _r(it.quality),
                    "creator_scale": _r(creator.audience_scale),
                    "view_potential": _r(it.potential, 2),
                    "tau_days": _r(it.tau_days, 4),
                    "experiment_id": it.experiment,
                    "variant": it.variant,
                    "snapshots": len(last),
                    "final_views": int(views[i, last[-1]]) if len(last) else 0,
                }
            )
        effects: dict[str, Any] = {
            name: {"factor": factor, "condition": cond, "platforms": list(platforms)}
            for name, (factor, cond, platforms) in _BINARY_EFFECTS.items()
        }
        effects["category"] = {"factors": {c: v[0] for c, v in _CATEGORIES.items()}}
        effects["format"] = {"factors": dict(_FORMAT_FACTORS)}

        def public(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: v for k, v in e.items() if not k.startswith("_")} for e in entries]

        total_rows = sum(written["rows_by_platform"].values())
        return {
            "generator": "dagster_project.synthetic",
            "spec": spec.to_dict(),
            "window": {
                "start_date": spec.start_date.isoformat(),
                "end_date": spec.end_date.isoformat(),
                "snapshots_per_day": self.spd,
            },
            "totals": {
                "items": len(self.items),
                "files": len(written["files"]),
                "rows": total_rows,
                "dirty_rows": written["dirty"]["total"],
                "clean_rows": total_rows - written["dirty"]["total"],
                "late_snapshots": written["late"]["count"],
                "rows_by_platform": written["rows_by_platform"],
            },
            "model": {
                "view_potential": "base_views * creator_scale * quality * effect_multiplier"
                " (* experiment lift)",
                "cumulative_views": "potential * (1 - exp(-age_days / tau_days)"
                " + tail_per_day * age_days), increments x weekly x diurnal x noise x events",
                "platforms": {
                    p: {
                        "base_views": m.base_views,
                        "tau_days": m.tau_days,
                        "tail_per_day": m.tail_per_day,
                        "file_format": FILE_FORMATS[p],
                        "per_view_ratios": m.ratios,
                        "counters": [
                            c
                            for c in COUNTER_FIELDS
                            if c == "views"
                            or c in m.ratios
                            or (c == "watch_time_seconds" and m.watch_formats)
                            or (c == "impressions" and m.impressions_per_view)
                            or (c == "reach" and m.reach_per_impression)
                        ],
                        "engagement_rate": m.engagement_rate,
                    }
                    for p, m in _PLATFORM_MODELS.items()
                },
                "weekly_seasonality": {
                    "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                    **{p: list(m.weekly) for p, m in _PLATFORM_MODELS.items()},
                },
            },
            "creators": [
                {
                    "creator_id": c.creator_id,
                    "creator_name": c.name,
                    "platform": c.platform,
                    "timezone": c.timezone,
                    "language": c.language,
                    "main_category": c.main_category,
                    "audience_scale": _r(c.audience_scale),
                }
                for c in self.creators
            ],
            "items": items,
            "effects": effects,
            "anomalies": public(self.anomalies),
            "level_shifts": public(self.level_shifts),
            "trend_changes": public(self.trend_changes),
            "counter_decreases": self.counter_decreases,
            "experiments": public(self.experiments),
            "late_snapshots": written["late"],
            "dirty": written["dirty"],
            "files": written["files"],
        }

    def run(self) -> GenerationSummary:
        self._make_creators()
        self._make_items()
        self._make_experiments()
        self._finalise_items()
        self._time_grid()
        self._simulate()
        self._layout_rows()
        self.dir.mkdir(parents=True, exist_ok=True)
        written = self._write()
        truth = self._ground_truth(written)
        gt_path = self.dir / GROUND_TRUTH_FILENAME
        gt_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
        formats = dict.fromkeys(("csv", "jsonl"), 0)
        for f in written["files"]:
            formats[f["format"]] += 1
        return GenerationSummary(
            landing_dir=self.dir,
            files=len(written["files"]),
            rows=truth["totals"]["rows"],
            dirty_rows=truth["totals"]["dirty_rows"],
            items=len(self.items),
            days=self.spec.days,
            ground_truth_path=gt_path,
            rows_by_platform=written["rows_by_platform"],
            files_by_format=formats,
            late_snapshots=written["late"]["count"],
            start_date=self.spec.start_date,
            end_date=self.spec.end_date,
        )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m dagster_project.synthetic LANDING_DIR [--items N ...]``"""
    defaults = SyntheticSpec()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing_dir", type=Path)
    parser.add_argument("--items", type=int, default=defaults.items)
    parser.add_argument("--days", type=int, default=defaults.days)
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=defaults.end_date)
    parser.add_argument("--snapshots-per-day", type=int, default=defaults.snapshots_per_day)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--dirty-fraction", type=float, default=defaults.dirty_fraction)
    parser.add_argument("--workspace-id", default=defaults.workspace_id)
    args = parser.parse_args(argv)
    spec = SyntheticSpec(
        items=args.items,
        days=args.days,
        end_date=args.end_date,
        snapshots_per_day=args.snapshots_per_day,
        seed=args.seed,
        dirty_fraction=args.dirty_fraction,
        workspace_id=args.workspace_id,
    )
    summary = generate(args.landing_dir, spec)
    print(
        f"wrote {summary.files} files, {summary.rows} rows ({summary.dirty_rows} dirty, "
        f"{summary.late_snapshots} late) for {summary.items} items to {summary.landing_dir}"
    )


if __name__ == "__main__":
    main()


# The generator plants view lifts (a per-item metric) and per-view like-rate lifts.
GENERATOR_METRIC_KINDS = {"views": "mean", "likes": "rate"}


def experiment_declarations(ground_truth_path: Path, metric_age_days: int = 7) -> list[dict[str, Any]]:
    """Declaration rows (``landing/_experiments/*.csv``) of the experiments a generated data set
    planted, from its ground-truth file; variant A is the control."""
    truth = json.loads(ground_truth_path.read_text(encoding="utf-8"))
    workspace = truth["spec"]["workspace_id"]
    return [
        {
            "workspace_id": workspace,
            "experiment_id": experiment["experiment_id"],
            "platform": experiment["platform"],
            "content_id": content_id,
            "variant": variant,
            "is_control": variant == "A",
            "start_date": experiment["start_date"],
            "end_date": experiment["end_date"],
            "primary_metric": experiment["primary_metric"],
            "metric_kind": GENERATOR_METRIC_KINDS[experiment["primary_metric"]],
            "metric_age_days": metric_age_days,
        }
        for experiment in truth["experiments"]
        for variant, content_ids in sorted(experiment["variants"].items())
        for content_id in content_ids
    ]
