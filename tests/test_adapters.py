"""Platform-native payload adapters: pure mapping tests, no database."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dagster_project.ingest.adapters import (
    ADAPTERS,
    SOURCE_PLATFORMS,
    AdapterError,
    adapt_envelope,
    parse_iso8601_duration,
)
from dagster_project.ingest.schema import CONTENT_FORMATS, PLATFORMS, SNAPSHOT_COLUMNS

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "platforms"

#: fixture file -> (envelope source, canonical platform)
FIXTURES = {
    "youtube_videos_list.jsonl": ("youtube.videos.list", "youtube"),
    "tiktok_video_list.jsonl": ("tiktok.video.list", "tiktok"),
    "instagram_media.jsonl": ("instagram.media", "instagram"),
    "linkedin_posts.jsonl": ("linkedin.posts", "linkedin"),
    "twitter_tweets.jsonl": ("twitter.tweets", "twitter"),
}


def load(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURE_DIR / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def adapted(name: str, index: int) -> dict[str, Any]:
    return adapt_envelope(load(name)[index])


def envelope(source: str, item: Any, **extra: Any) -> dict[str, Any]:
    return {"source": source, "captured_at": "2024-05-02T06:00:00+00:00", "item": item, **extra}


# --------------------------------------------------------------------------- registry


def test_registry_covers_every_platform() -> None:
    assert set(ADAPTERS) == set(SOURCE_PLATFORMS) == {src for src, _ in FIXTURES.values()}
    assert sorted(SOURCE_PLATFORMS.values()) == sorted(PLATFORMS)


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_maps_to_canonical_shape(name: str) -> None:
    source, platform = FIXTURES[name]
    envelopes = load(name)
    assert 2 <= len(envelopes) <= 3
    for env in envelopes:
        assert env["source"] == source
        snapshot = adapt_envelope(copy.deepcopy(env))
        assert set(snapshot) <= set(SNAPSHOT_COLUMNS), set(snapshot) - set(SNAPSHOT_COLUMNS)
        assert snapshot["platform"] == platform
        assert snapshot["captured_at"] == env["captured_at"]
        assert snapshot.get("workspace_id") == env.get("workspace_id")
        assert isinstance(snapshot["content_id"], str) and snapshot["content_id"]
        assert snapshot["views"] is not None
        assert snapshot["format"] in CONTENT_FORMATS
        assert None not in snapshot.values()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_adapters_do_not_mutate_the_envelope(name: str) -> None:
    for env in load(name):
        before = copy.deepcopy(env)
        adapt_envelope(env)
        assert env == before


EXPECTED = [
    # YouTube: counters are strings in the API and pass through as given.
    ("youtube_videos_list.jsonl", 0, "content_id", "v3Xq9LmT2aB"),
    ("youtube_videos_list.jsonl", 0, "views", "12345"),
    ("youtube_videos_list.jsonl", 0, "likes", "873"),
    ("youtube_videos_list.jsonl", 0, "comments", "64"),
    ("youtube_videos_list.jsonl", 0, "duration_seconds", 253),
    ("youtube_videos_list.jsonl", 0, "category", "Education"),
    ("youtube_videos_list.jsonl", 0, "language", "en-US"),
    ("youtube_videos_list.jsonl", 0, "format", "video"),
    ("youtube_videos_list.jsonl", 0, "published_at", "2024-04-18T15:00:07Z"),
    ("youtube_videos_list.jsonl", 0, "creator_id", "UCq8hT3vC0m2xJ4Kp9Zr1sQw"),
    ("youtube_videos_list.jsonl", 0, "creator_name", "Distributed Notes"),
    ("youtube_videos_list.jsonl", 0, "tags", ["crdt", "distributed systems", "local-first"]),
    ("youtube_videos_list.jsonl", 0, "title", "How CRDTs Merge Edits Without a Server"),
    ("youtube_videos_list.jsonl", 0, "workspace_id", "acme"),
    ("youtube_videos_list.jsonl", 1, "duration_seconds", 58),
    ("youtube_videos_list.jsonl", 1, "format", "short"),
    ("youtube_videos_list.jsonl", 1, "category", "People & Blogs"),
    ("youtube_videos_list.jsonl", 1, "language", "de"),  # defaultLanguage fallback
    ("youtube_videos_list.jsonl", 2, "format", "live"),
    ("youtube_videos_list.jsonl", 2, "category", "Gaming"),
    ("youtube_videos_list.jsonl", 2, "views", "40210"),
    # TikTok: Research API (int id, video_duration, favorites_count) and Display API.
    ("tiktok_video_list.jsonl", 0, "content_id", "7365281934720158981"),
    ("tiktok_video_list.jsonl", 0, "views", 158302),
    ("tiktok_video_list.jsonl", 0, "likes", 12044),
    ("tiktok_video_list.jsonl", 0, "comments", 233),
    ("tiktok_video_list.jsonl", 0, "shares", 412),
    ("tiktok_video_list.jsonl", 0, "saves", 1876),
    ("tiktok_video_list.jsonl", 0, "duration_seconds", 34),
    ("tiktok_video_list.jsonl", 0, "published_at", "2024-05-01T12:00:00+00:00"),
    ("tiktok_video_list.jsonl", 0, "tags", ["productivity", "techtok", "coding"]),
    ("tiktok_video_list.jsonl", 0, "creator_id", "devdesk.daily"),
    ("tiktok_video_list.jsonl", 0, "creator_name", "devdesk.daily"),
    ("tiktok_video_list.jsonl", 0, "format", "short"),
    ("tiktok_video_list.jsonl", 1, "content_id", "7361950012345678901"),
    ("tiktok_video_list.jsonl", 1, "title", "POV: your code compiles on the first try 😅"),
    ("tiktok_video_list.jsonl", 1, "duration_seconds", 15),
    ("tiktok_video_list.jsonl", 1, "published_at", "2024-04-22T15:33:20+00:00"),
    # Instagram: reel with views insight, carousel on legacy impressions, story with plays.
    ("instagram_media.jsonl", 0, "content_id", "18023456789012345"),
    ("instagram_media.jsonl", 0, "format", "reel"),
    ("instagram_media.jsonl", 0, "views", 48211),
    ("instagram_media.jsonl", 0, "reach", 31877),
    ("instagram_media.jsonl", 0, "saves", 912),
    ("instagram_media.jsonl", 0, "shares", 340),
    ("instagram_media.jsonl", 0, "likes", 2104),
    ("instagram_media.jsonl", 0, "comments", 57),
    ("instagram_media.jsonl", 0, "watch_time_seconds", 541600),
    ("instagram_media.jsonl", 0, "title", "Three ways to batch your content week ✂️"),
    ("instagram_media.jsonl", 0, "tags", ["contentstrategy", "creatortips", "reels"]),
    ("instagram_media.jsonl", 0, "published_at", "2024-04-29T17:30:00+0000"),
    ("instagram_media.jsonl", 0, "creator_id", "17841400000000001"),
    ("instagram_media.jsonl", 0, "creator_name", "studio.northwind"),
    ("instagram_media.jsonl", 1, "format", "carousel"),
    ("instagram_media.jsonl", 1, "views", 9120),
    ("instagram_media.jsonl", 1, "impressions", 9120),
    ("instagram_media.jsonl", 1, "tags", ["branding", "colortheory"]),
    ("instagram_media.jsonl", 2, "format", "story"),
    ("instagram_media.jsonl", 2, "views", 2210),
    ("instagram_media.jsonl", 2, "impressions", 2500),
    # LinkedIn: views mirror impressions; little-text commentary becomes plain text.
    ("linkedin_posts.jsonl", 0, "content_id", "urn:li:share:7191234567890123456"),
    ("linkedin_posts.jsonl", 0, "views", 11240),
    ("linkedin_posts.jsonl", 0, "impressions", 11240),
    ("linkedin_posts.jsonl", 0, "reach", 8123),
    ("linkedin_posts.jsonl", 0, "likes", 212),
    ("linkedin_posts.jsonl", 0, "comments", 19),
    ("linkedin_posts.jsonl", 0, "shares", 41),
    ("linkedin_posts.jsonl", 0, "engagement_rate", 0.0613),
    ("linkedin_posts.jsonl", 0, "format", "article"),
    ("linkedin_posts.jsonl", 0, "published_at", "2024-04-30T14:00:00+00:00"),
    ("linkedin_posts.jsonl", 0, "creator_id", "urn:li:organization:2414183"),
    ("linkedin_posts.jsonl", 0, "tags", ["B2BMarketing", "VideoStrategy"]),
    (
        "linkedin_posts.jsonl",
        0,
        "title",
        "We just published our 2024 benchmark report on B2B video.",
    ),
    ("linkedin_posts.jsonl", 1, "format", "video"),
    ("linkedin_posts.jsonl", 1, "published_at", "2024-04-25T10:00:00.123+00:00"),
    ("linkedin_posts.jsonl", 2, "format", "text"),
    (
        "linkedin_posts.jsonl",
        2,
        "description",
        "Thanks to Northwind Labs for hosting our meetup last night!",
    ),
    # X / Twitter
    ("twitter_tweets.jsonl", 0, "content_id", "1785321098765432101"),
    ("twitter_tweets.jsonl", 0, "views", 20917),
    ("twitter_tweets.jsonl", 0, "impressions", 20917),
    ("twitter_tweets.jsonl", 0, "likes", 418),
    ("twitter_tweets.jsonl", 0, "comments", 12),
    ("twitter_tweets.jsonl", 0, "shares", 42),  # 37 retweets + 5 quotes
    ("twitter_tweets.jsonl", 0, "saves", 96),
    ("twitter_tweets.jsonl", 0, "tags", ["dbt", "dataengineering"]),
    ("twitter_tweets.jsonl", 0, "format", "video"),
    ("twitter_tweets.jsonl", 0, "language", "en"),
    ("twitter_tweets.jsonl", 0, "creator_id", "1432109876543210987"),
    ("twitter_tweets.jsonl", 0, "published_at", "2024-04-30T14:05:11.000Z"),
    ("twitter_tweets.jsonl", 1, "format", "text"),
    ("twitter_tweets.jsonl", 1, "shares", 3),
    ("twitter_tweets.jsonl", 1, "language", "de"),
    ("twitter_tweets.jsonl", 2, "tags", ["dbt", "analyticsengineering"]),  # from note_tweet
    (
        "twitter_tweets.jsonl",
        2,
        "title",
        "Thread-free long post: why we moved our dbt tests from schema.yml to unit tests.",
    ),
]


@pytest.mark.parametrize(("name", "index", "field", "expected"), EXPECTED)
def test_fixture_field_values(name: str, index: int, field: str, expected: Any) -> None:
    assert adapted(name, index)[field] == expected


@pytest.mark.parametrize(
    ("name", "index", "absent"),
    [
        # likes hidden and comments disabled on the video: no key, not zero.
        ("youtube_videos_list.jsonl", 1, {"likes", "comments", "tags"}),
        # a live stream reports P0D: length unknown, not zero.
        ("youtube_videos_list.jsonl", 2, {"duration_seconds", "language", "workspace_id"}),
        ("tiktok_video_list.jsonl", 1, {"saves", "tags", "creator_id", "creator_name"}),
        ("instagram_media.jsonl", 1, {"shares", "watch_time_seconds"}),
        ("instagram_media.jsonl", 2, {"title", "description", "tags", "likes", "comments"}),
        ("linkedin_posts.jsonl", 2, {"tags", "creator_name", "workspace_id"}),
        ("twitter_tweets.jsonl", 1, {"tags", "creator_name"}),
    ],
)
def test_missing_native_fields_leave_keys_absent(name: str, index: int, absent: set[str]) -> None:
    assert absent.isdisjoint(adapted(name, index))


def test_long_tweet_description_is_the_full_note_text() -> None:
    env = load("twitter_tweets.jsonl")[2]
    snapshot = adapt_envelope(env)
    assert snapshot["description"] == env["item"]["note_tweet"]["text"]
    assert len(snapshot["description"]) > len(env["item"]["text"])


def test_instagram_description_is_the_full_caption() -> None:
    env = load("instagram_media.jsonl")[0]
    assert adapt_envelope(env)["description"] == env["item"]["caption"]


# --------------------------------------------------------------------------- mapping details


@pytest.mark.parametrize(
    ("category_id", "expected"),
    [("27", "Education"), (28, "Science & Technology"), ("10", "Music"), ("44", "youtube:44")],
)
def test_youtube_category_names(category_id: Any, expected: str) -> None:
    item = {"id": "x", "snippet": {"categoryId": category_id}, "statistics": {"viewCount": "1"}}
    assert adapt_envelope(envelope("youtube.videos.list", item))["category"] == expected


@pytest.mark.parametrize(("duration", "fmt"), [("PT60S", "short"), ("PT1M1S", "video")])
def test_youtube_short_threshold(duration: str, fmt: str) -> None:
    item = {"id": "x", "contentDetails": {"duration": duration}}
    assert adapt_envelope(envelope("youtube.videos.list", item))["format"] == fmt


def test_values_pass_through_unvalidated() -> None:
    item = {"id": "x", "statistics": {"viewCount": "-5", "likeCount": "lots"}}
    snapshot = adapt_envelope(envelope("youtube.videos.list", item, captured_at="not a date"))
    assert (snapshot["views"], snapshot["likes"]) == ("-5", "lots")
    assert snapshot["captured_at"] == "not a date"


@pytest.mark.parametrize(
    ("insights", "views"),
    [
        ({"views": 30, "plays": 20, "impressions": 10}, 30),
        ({"plays": 20, "impressions": 10}, 20),
        ({"impressions": 10, "reach": 8}, 10),
        ({"reach": 8}, None),
    ],
)
def test_instagram_views_preference(insights: dict[str, int], views: int | None) -> None:
    data = [{"name": k, "period": "lifetime", "values": [{"value": v}]} for k, v in insights.items()]
    item = {"id": "1", "media_type": "IMAGE", "insights": {"data": data}}
    assert adapt_envelope(envelope("instagram.media", item)).get("views") == views


def test_instagram_total_value_insights_and_watch_time_rounding() -> None:
    data = [
        {"name": "views", "period": "lifetime", "total_value": {"value": 77}},
        {"name": "ig_reels_video_view_total_time", "values": [{"value": 2500}]},
        {"name": "ig_reels_avg_watch_time", "values": [{"value": 4200}]},
    ]
    item = {
        "id": "1",
        "media_type": "VIDEO",
        "media_product_type": "FEED",
        "insights": {"data": data},
    }
    snapshot = adapt_envelope(envelope("instagram.media", item))
    assert snapshot["views"] == 77
    assert snapshot["watch_time_seconds"] == 3  # 2.5 s rounds half up; avg watch time ignored
    assert snapshot["format"] == "video"


def test_instagram_title_is_first_line_truncated() -> None:
    caption = "x" * 200 + "\nsecond line #tag"
    snapshot = adapt_envelope(envelope("instagram.media", {"id": "1", "caption": caption}))
    assert snapshot["title"] == "x" * 150
    assert snapshot["description"] == caption
    assert snapshot["tags"] == ["tag"]


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        ({"media": {"id": "urn:li:image:C4E10AQ"}}, "image"),
        ({"media": {"id": "urn:li:video:C5F10AQ"}}, "video"),
        ({"multiImage": {"images": []}}, "carousel"),
        ({"article": {"source": "https://example.com"}}, "article"),
        (None, "text"),
    ],
)
def test_linkedin_format(content: dict[str, Any] | None, fmt: str) -> None:
    item = {"post": {"id": "urn:li:share:1", "content": content}, "totalShareStatistics": {}}
    assert adapt_envelope(envelope("linkedin.posts", item))["format"] == fmt


def test_twitter_shares_sum_numeric_strings_and_missing_parts() -> None:
    metrics = {"retweet_count": "4", "impression_count": 10}
    snapshot = adapt_envelope(envelope("twitter.tweets", {"id": "1", "public_metrics": metrics}))
    assert snapshot["shares"] == 4
    bare = adapt_envelope(envelope("twitter.tweets", {"id": "1", "public_metrics": {}}))
    assert "shares" not in bare


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0S", 0),
        ("P0D", 0),
        ("PT58S", 58),
        ("PT4M13S", 253),
        ("PT1H", 3600),
        ("PT1H2M13S", 3733),
        ("P1DT2H", 93_600),
        ("P1W", 604_800),
        ("PT1.5S", 2),
    ],
)
def test_parse_iso8601_duration(text: str, seconds: int) -> None:
    assert parse_iso8601_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "1H", "PT1H2", "P1Y", "P2M", "PT-5S", "pt5m", 90])
def test_parse_iso8601_duration_rejects_malformed(text: Any) -> None:
    with pytest.raises(AdapterError) as info:
        parse_iso8601_duration(text, field="item.contentDetails.duration")
    assert info.value.field == "item.contentDetails.duration"


# --------------------------------------------------------------------------- errors


def test_adapter_error_shape() -> None:
    error = AdapterError("item.statistics.viewCount", "not a number")
    assert isinstance(error, Exception)
    assert (error.field, error.reason) == ("item.statistics.viewCount", "not a number")
    assert str(error) == "item.statistics.viewCount: not a number"


@pytest.mark.parametrize("source", ["facebook.posts", None, ["youtube.videos.list"]])
def test_unknown_source(source: Any) -> None:
    with pytest.raises(AdapterError) as info:
        adapt_envelope({"source": source, "captured_at": "2024-05-02T06:00:00Z", "item": {}})
    assert info.value.field == "source"
    assert str(info.value).startswith("source: ")


def test_missing_source() -> None:
    with pytest.raises(AdapterError) as info:
        adapt_envelope({"captured_at": "2024-05-02T06:00:00Z", "item": {"id": "1"}})
    assert info.value.field == "source"


@pytest.mark.parametrize("env", [{"source": "twitter.tweets"}, envelope("twitter.tweets", None)])
def test_missing_item(env: dict[str, Any]) -> None:
    with pytest.raises(AdapterError) as info:
        adapt_envelope(env)
    assert (info.value.field, info.value.reason) == ("item", "missing")


def test_item_not_an_object() -> None:
    with pytest.raises(AdapterError) as info:
        adapt_envelope(envelope("tiktok.video.list", ["7365281934720158981"]))
    assert info.value.field == "item"


WRONG_STRUCTURE = [
    ("youtube.videos.list", {"id": "x", "statistics": "12345"}, "item.statistics"),
    ("youtube.videos.list", {"id": "x", "snippet": []}, "item.snippet"),
    ("youtube.videos.list", {"id": "x", "snippet": {"tags": "a,b"}}, "item.snippet.tags"),
    (
        "youtube.videos.list",
        {"id": "x", "contentDetails": {"duration": "4:13"}},
        "item.contentDetails.duration",
    ),
    ("youtube.videos.list", {"id": {"videoId": "x"}}, "item.id"),
    ("tiktok.video.list", {"id": 1, "create_time": "yesterday"}, "item.create_time"),
    ("tiktok.video.list", {"id": 1, "hashtag_names": "#a #b"}, "item.hashtag_names"),
    ("instagram.media", {"id": "1", "insights": [1, 2]}, "item.insights"),
    ("instagram.media", {"id": "1", "insights": {"data": {"views": 3}}}, "item.insights.data"),
    (
        "instagram.media",
        {"id": "1", "insights": {"data": [{"name": "views", "values": [5]}]}},
        "item.insights.data[0].values[0]",
    ),
    ("instagram.media", {"id": "1", "caption": ["a"]}, "item.caption"),
    ("linkedin.posts", {"totalShareStatistics": {}}, "item.post"),
    ("linkedin.posts", {"post": "urn:li:share:1"}, "item.post"),
    (
        "linkedin.posts",
        {"post": {"id": "urn:li:share:1"}, "totalShareStatistics": [3]},
        "item.totalShareStatistics",
    ),
    (
        "linkedin.posts",
        {"post": {"id": "urn:li:share:1", "publishedAt": "today"}},
        "item.post.publishedAt",
    ),
    ("twitter.tweets", {"id": "1", "public_metrics": 5}, "item.public_metrics"),
    (
        "twitter.tweets",
        {"id": "1", "public_metrics": {"retweet_count": "many", "quote_count": 1}},
        "item.public_metrics.retweet_count",
    ),
    ("twitter.tweets", {"id": "1", "entities": {"hashtags": ["dbt"]}}, "item.entities.hashtags[0]"),
]


@pytest.mark.parametrize(("source", "item", "field"), WRONG_STRUCTURE)
def test_wrong_structure_names_the_field(source: str, item: dict[str, Any], field: str) -> None:
    with pytest.raises(AdapterError) as info:
        adapt_envelope(envelope(source, item))
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_adapters_are_callable_directly_on_the_item() -> None:
    item = load("youtube_videos_list.jsonl")[0]["item"]
    mapped = ADAPTERS["youtube.videos.list"](item)
    assert mapped["content_id"] == "v3Xq9LmT2aB"
    assert mapped["duration_seconds"] == 253
    assert "captured_at" not in mapped
