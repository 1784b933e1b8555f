"""Map platform-native API items to the canonical snapshot record of :mod:`.schema`.

Native payloads arrive in JSONL landing files as envelopes::

    {"source": "youtube.videos.list", "captured_at": "2024-05-02T06:00:00+00:00",
     "workspace_id": "acme", "item": {...the object exactly as the API returned it...}}

:func:`adapt_envelope` picks the adapter named by ``source`` and returns one flat dict
keyed by the canonical names (``content_id``, ``views``, ``title`` ...).  Everything here
is pure: no I/O, no clock.  Adapters only map *names and structure*: counters and
timestamps are passed through as given (YouTube's string counters stay strings), because a
separate vectorised validator checks values later.  Values are converted only where the
mapping itself needs it (ISO 8601 durations, epoch timestamps, sums, milliseconds).
A native object of the wrong structure raises :class:`AdapterError` naming its field path.
Optional native fields that are missing (or ``null``) leave the canonical key absent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "ADAPTERS",
    "SOURCE_PLATFORMS",
    "YOUTUBE_CATEGORIES",
    "AdapterError",
    "adapt_envelope",
    "parse_iso8601_duration",
]

Record = dict[str, Any]

TITLE_MAX_CHARS: Final = 150
#: YouTube Shorts were capped at 60 s when this mapping was written; longer -> "video".
SHORT_MAX_SECONDS: Final = 60

#: Common YouTube ``snippet.categoryId`` values (videoCategories.list, region US).
YOUTUBE_CATEGORIES: Final[Mapping[str, str]] = {
    "1": "Film & Animation",
    "2": "Autos & Vehicles",
    "10": "Music",
    "15": "Pets & Animals",
    "17": "Sports",
    "19": "Travel & Events",
    "20": "Gaming",
    "22": "People & Blogs",
    "23": "Comedy",
    "24": "Entertainment",
    "25": "News & Politics",
    "26": "Howto & Style",
    "27": "Education",
    "28": "Science & Technology",
    "29": "Nonprofits & Activism",
}


class AdapterError(ValueError):
    """A native payload that cannot be mapped; ``field`` is its path, e.g. ``item.statistics``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


# --------------------------------------------------------------------------- helpers


def _as_obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise AdapterError(path, "not an object")
    return value


def _obj(parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """``parent[key]`` as an object; ``{}`` when missing or null."""
    value = parent.get(key)
    return {} if value is None else _as_obj(value, path)


def _list(parent: Mapping[str, Any], key: str, path: str) -> list[Any] | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise AdapterError(path, "not a list")
    return value


def _text(parent: Mapping[str, Any], key: str, path: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise AdapterError(path, "not a string")
    return value


def _id(parent: Mapping[str, Any], key: str, path: str) -> str | None:
    """An identifier as text (TikTok returns int64 ids as JSON numbers)."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise AdapterError(path, "not a string or integer")
    return str(value)


def _number(value: Any, path: str) -> int | float:
    """A number the mapping must compute with (sum, scale, epoch): int, float or numeric text."""
    if isinstance(value, bool):
        raise AdapterError(path, "not a number")
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                raise AdapterError(path, "not a number") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise AdapterError(path, "not a number")
    return value


def _epoch_to_iso(value: Any, path: str, *, per_second: int = 1) -> str | None:
    """Unix epoch (seconds, or ms with ``per_second=1000``) -> ISO 8601 UTC string."""
    if value is None:
        return None
    number = _number(value, path)
    try:
        moment = datetime.fromtimestamp(number / per_second, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise AdapterError(path, "epoch timestamp out of range") from None
    return moment.isoformat(timespec="seconds" if moment.microsecond == 0 else "milliseconds")


def _title(text: str | None) -> str | None:
    """First non-empty line, truncated to ``TITLE_MAX_CHARS``."""
    if not text:
        return None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:TITLE_MAX_CHARS].rstrip() or None


_HASHTAG_RE: Final = re.compile(r"(?<![\w&])#(\w+)")


def _hashtags(text: str | None) -> list[str] | None:
    """``#tags`` in free text, without ``#``, first occurrence order, de-duplicated."""
    tags = list(dict.fromkeys(_HASHTAG_RE.findall(text or "")))
    return tags or None


def _compact(record: Record) -> Record:
    return {key: value for key, value in record.items() if value is not None}


_DURATION_RE: Final = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?",
    re.ASCII,
)
_DURATION_UNITS: Final = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60}


def parse_iso8601_duration(value: Any, field: str = "duration") -> int:
    """ISO 8601 duration (``PT1H2M13S``, ``P1DT2H``, ``P0D``) -> whole seconds (rounded).

    Years and months have no fixed length and are rejected, as is anything malformed.
    """
    if not isinstance(value, str):
        raise AdapterError(field, "not a string")
    match = _DURATION_RE.fullmatch(value.strip())
    if match is None or not any(match.groupdict().values()):
        raise AdapterError(field, f"malformed ISO 8601 duration {value!r}")
    parts = match.groupdict()
    total = sum(int(parts[unit] or 0) * size for unit, size in _DURATION_UNITS.items())
    return total + math.floor(float(parts["seconds"] or 0) + 0.5)


# --------------------------------------------------------------------------- adapters


def adapt_youtube_video(item: Mapping[str, Any]) -> Record:
    """YouTube Data API v3 ``videos.list`` item (part=snippet,statistics,contentDetails).

    https://developers.google.com/youtube/v3/docs/videos#resource
    """
    snippet = _obj(item, "snippet", "item.snippet")
    stats = _obj(item, "statistics", "item.statistics")
    details = _obj(item, "contentDetails", "item.contentDetails")
    duration = details.get("duration")
    seconds = None if duration is None else parse_iso8601_duration(duration, "item.contentDetails.duration")
    category = snippet.get("categoryId")
    if snippet.get("liveBroadcastContent") in ("live", "upcoming"):
        fmt: str | None = "live"
        seconds = seconds or None  # a stream still on air reports "P0D": length unknown
    elif seconds is not None:
        fmt = "short" if 0 < seconds <= SHORT_MAX_SECONDS else "video"
    else:
        fmt = None
    return _compact(
        {
            "content_id": _id(item, "id", "item.id"),
            "views": stats.get("viewCount"),
            "likes": stats.get("likeCount"),
            "comments": stats.get("commentCount"),
            "title": snippet.get("title"),
            "description": snippet.get("description"),
            "published_at": snippet.get("publishedAt"),
            "duration_seconds": seconds,
            "category": None
            if category is None
            else YOUTUBE_CATEGORIES.get(str(category), f"youtube:{category}"),
            "tags": _list(snippet, "tags", "item.snippet.tags"),
            "language": snippet.get("defaultAudioLanguage") or snippet.get("defaultLanguage"),
            "creator_id": snippet.get("channelId"),
            "creator_name": snippet.get("channelTitle"),
            "format": fmt,
        }
    )


def adapt_tiktok_video(item: Mapping[str, Any]) -> Record:
    """TikTok video object: Display API ``/v2/video/list/`` or Research API ``video/query``.

    https://developers.tiktok.com/doc/tiktok-api-v2-video-object
    https://developers.tiktok.com/doc/research-api-specs-query-videos
    ``region_code`` is ignored; ``favorites_count`` (Research API) maps to saves.
    """
    description = _text(item, "video_description", "item.video_description")
    hashtags = _list(item, "hashtag_names", "item.hashtag_names")
    duration = item.get("duration", item.get("video_duration"))  # Display / Research name
    return _compact(
        {
            "content_id": _id(item, "id", "item.id"),
            "views": item.get("view_count"),
            "likes": item.get("like_count"),
            "comments": item.get("comment_count"),
            "shares": item.get("share_count"),
            "saves": item.get("favorites_count"),
            "title": _text(item, "title", "item.title") or _title(description),
            "description": description,
            "published_at": _epoch_to_iso(item.get("create_time"), "item.create_time"),
            "duration_seconds": duration,
            "tags": hashtags if hashtags is not None else _hashtags(description),
            "creator_id": item.get("username"),
            "creator_name": item.get("username"),
            "format": "short",
        }
    )


#: ``media_product_type`` decides first (reel/story), then ``media_type`` (feed posts).
_INSTAGRAM_PRODUCT_FORMATS: Final = {"REELS": "reel", "STORY": "story"}
_INSTAGRAM_MEDIA_FORMATS: Final = {"CAROUSEL_ALBUM": "carousel", "IMAGE": "image", "VIDEO": "video"}


def _instagram_insights(item: Mapping[str, Any]) -> dict[str, Any]:
    """``insights.data[]`` -> ``{metric name: value}`` (``values[0].value`` or ``total_value``)."""
    data = _list(_obj(item, "insights", "item.insights"), "data", "item.insights.data") or []
    metrics: dict[str, Any] = {}
    for index, entry in enumerate(data):
        path = f"item.insights.data[{index}]"
        entry = _as_obj(entry, path)
        values = _list(entry, "values", f"{path}.values")
        if values:
            first = _as_obj(values[0], f"{path}.values[0]")
        else:
            first = _obj(entry, "total_value", f"{path}.total_value")
        name = _text(entry, "name", f"{path}.name")
        if name is not None:
            metrics[name] = first.get("value")
    return metrics


def adapt_instagram_media(item: Mapping[str, Any]) -> Record:
    """Instagram Graph API media object with an ``insights`` edge expanded.

    https://developers.facebook.com/docs/instagram-platform/reference/instagram-media
    https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
    Views prefer ``views``, then the deprecated ``plays``, then ``impressions``.
    """
    caption = _text(item, "caption", "item.caption")
    insights = _instagram_insights(item)
    views = next((insights[k] for k in ("views", "plays", "impressions") if k in insights), None)
    watch_ms = insights.get("ig_reels_video_view_total_time")  # ig_reels_avg_watch_time ignored
    watch_path = "item.insights.ig_reels_video_view_total_time"
    fmt = _INSTAGRAM_PRODUCT_FORMATS.get(str(item.get("media_product_type"))) or _INSTAGRAM_MEDIA_FORMATS.get(
        str(item.get("media_type"))
    )
    owner = _obj(item, "owner", "item.owner")
    return _compact(
        {
            "content_id": _id(item, "id", "item.id"),
            "views": views,
            "likes": item.get("like_count"),
            "comments": item.get("comments_count"),
            "shares": insights.get("shares"),
            "saves": insights.get("saved"),
            "watch_time_seconds": None
            if watch_ms is None
            else math.floor(_number(watch_ms, watch_path) / 1000 + 0.5),
            "impressions": insights.get("impressions"),
            "reach": insights.get("reach"),
            "title": _title(caption),
            "description": caption,
            "published_at": item.get("timestamp"),
            "tags": _hashtags(caption),
            "creator_id": _id(owner, "id", "item.owner.id") or item.get("username"),
            "creator_name": item.get("username"),
            "format": fmt,
        }
    )


_LI_HASHTAG_RE: Final = re.compile(r"\{hashtag\|\\?#\|([^}]*)\}")
_LI_MENTION_RE: Final = re.compile(r"@\[([^\]]*)\]\([^)]*\)")
_LI_ESCAPE_RE: Final = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def _linkedin_plain_text(commentary: str | None) -> str | None:
    """LinkedIn "little text" -> plain text: ``{hashtag|\\#|AI}`` -> ``#AI``, mentions -> name."""
    if commentary is None:
        return None
    text = _LI_HASHTAG_RE.sub(r"#\1", commentary)
    return _LI_ESCAPE_RE.sub(r"\1", _LI_MENTION_RE.sub(r"\1", text))


def _linkedin_format(content: Mapping[str, Any]) -> str:
    if "article" in content:
        return "article"
    if "multiImage" in content:
        return "carousel"
    if "media" in content:
        media = _obj(content, "media", "item.post.content.media")
        return "image" if str(media.get("id", "")).startswith("urn:li:image:") else "video"
    return "text"


def adapt_linkedin_post(item: Mapping[str, Any]) -> Record:
    """LinkedIn Posts API post joined with ``organizationalEntityShareStatistics``.

    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api
    https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/share-statistics
    """
    if "post" not in item:
        raise AdapterError("item.post", "missing")
    post = _obj(item, "post", "item.post")
    stats = _obj(item, "totalShareStatistics", "item.totalShareStatistics")
    text = _linkedin_plain_text(_text(post, "commentary", "item.post.commentary"))
    return _compact(
        {
            "content_id": _id(post, "id", "item.post.id"),
            # LinkedIn reports no view count for text/article posts; impressions are the
            # closest lifetime "seen" counter, so views mirror impressionCount.
            "views": stats.get("impressionCount"),
            "likes": stats.get("likeCount"),
            "comments": stats.get("commentCount"),
            "shares": stats.get("shareCount"),
            "impressions": stats.get("impressionCount"),
            "reach": stats.get("uniqueImpressionsCount"),
            "engagement_rate": stats.get("engagement"),
            "title": _title(text),
            "description": text,
            "published_at": _epoch_to_iso(post.get("publishedAt"), "item.post.publishedAt", per_second=1000),
            "tags": _hashtags(text),
            "creator_id": post.get("author"),
            "format": _linkedin_format(_obj(post, "content", "item.post.content")),
        }
    )


def _sum_counts(metrics: Mapping[str, Any], keys: tuple[str, ...], path: str) -> int | float | None:
    present = [(key, metrics[key]) for key in keys if metrics.get(key) is not None]
    if not present:
        return None
    return sum(_number(value, f"{path}.{key}") for key, value in present)


def _twitter_hashtags(item: Mapping[str, Any], note: Mapping[str, Any]) -> list[str] | None:
    """``entities.hashtags[].tag`` (of ``note_tweet`` when the tweet is a long one)."""
    where = "item.note_tweet.entities" if note.get("entities") is not None else "item.entities"
    entities = _obj(note if note.get("entities") is not None else item, "entities", where)
    tags = []
    for index, tag in enumerate(_list(entities, "hashtags", f"{where}.hashtags") or []):
        path = f"{where}.hashtags[{index}]"
        tags.append(_text(_as_obj(tag, path), "tag", f"{path}.tag"))
    return [tag for tag in tags if tag] or None


def adapt_twitter_tweet(item: Mapping[str, Any]) -> Record:
    """X / Twitter API v2 tweet object (``tweet.fields=created_at,author_id,lang,public_metrics,
    entities,attachments,note_tweet``).

    https://docs.x.com/x-api/fundamentals/data-dictionary#tweet
    """
    metrics = _obj(item, "public_metrics", "item.public_metrics")
    note = _obj(item, "note_tweet", "item.note_tweet")  # full text of tweets over 280 chars
    text = _text(note, "text", "item.note_tweet.text") or _text(item, "text", "item.text")
    attachments = _obj(item, "attachments", "item.attachments")
    media_keys = _list(attachments, "media_keys", "item.attachments.media_keys")
    return _compact(
        {
            "content_id": _id(item, "id", "item.id"),
            "views": metrics.get("impression_count"),
            "impressions": metrics.get("impression_count"),
            "likes": metrics.get("like_count"),
            "comments": metrics.get("reply_count"),
            "shares": _sum_counts(metrics, ("retweet_count", "quote_count"), "item.public_metrics"),
            "saves": metrics.get("bookmark_count"),
            "title": _title(text),
            "description": text,
            "published_at": item.get("created_at"),
            "tags": _twitter_hashtags(item, note),
            "language": item.get("lang"),
            "creator_id": item.get("author_id"),
            # Media type needs the ``includes.media`` expansion; any attachment counts as video.
            "format": "video" if media_keys else "text",
        }
    )


#: Envelope ``source`` -> adapter of the native item.
ADAPTERS: Final[dict[str, Callable[[dict], dict]]] = {
    "youtube.videos.list": adapt_youtube_video,
    "tiktok.video.list": adapt_tiktok_video,
    "instagram.media": adapt_instagram_media,
    "linkedin.posts": adapt_linkedin_post,
    "twitter.tweets": adapt_twitter_tweet,
}

#: Envelope ``source`` -> canonical platform (one of ``schema.PLATFORMS``).
SOURCE_PLATFORMS: Final[Mapping[str, str]] = {
    "youtube.videos.list": "youtube",
    "tiktok.video.list": "tiktok",
    "instagram.media": "instagram",
    "linkedin.posts": "linkedin",
    "twitter.tweets": "twitter",
}


def adapt_envelope(envelope: dict) -> dict:
    """Map one landing envelope to the canonical flat record.

    ``platform`` comes from the source, ``captured_at`` and ``workspace_id`` are copied
    from the envelope as given (no parsing).  Raises :class:`AdapterError` for an unknown
    ``source``, a missing ``item`` or a native field of the wrong structure.
    """
    if not isinstance(envelope, Mapping):
        raise AdapterError("envelope", "not an object")
    source = envelope.get("source")
    if not isinstance(source, str) or source not in ADAPTERS:
        raise AdapterError("source", f"unknown adapter {source!r}; expected one of {sorted(ADAPTERS)}")
    if envelope.get("item") is None:
        raise AdapterError("item", "missing")
    item = envelope["item"]
    if not isinstance(item, Mapping):
        raise AdapterError("item", "not an object")
    mapped = ADAPTERS[source](item)
    head: Record = {}
    if envelope.get("workspace_id") is not None:
        head["workspace_id"] = envelope["workspace_id"]
    head["content_id"] = mapped.pop("content_id", None)
    head["platform"] = SOURCE_PLATFORMS[source]
    if "captured_at" in envelope:
        head["captured_at"] = envelope["captured_at"]
    return _compact({**head, **mapped})
