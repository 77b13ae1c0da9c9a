"""The last-line scrub: known values in every escaped form, and secret-looking patterns."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

import pytest

from examday.report.redaction import Redactor
from examday.secret_rules import MASK, is_secret_env, secrets_in_env

SECRET = 'p4ss"w<o>rd&x/y+z'


def test_a_known_value_is_replaced_raw_and_in_json_html_and_url_forms():
    redactor = Redactor([SECRET])
    for form in (SECRET, json.dumps(SECRET)[1:-1], html.escape(SECRET), html.escape(json.dumps(SECRET)[1:-1]),
                 quote(SECRET, safe="")):
        assert redactor.text(f"before {form} after") == f"before {MASK} after", form


@pytest.mark.parametrize(("text", "expected"), [
    ("Authorization: Bearer eyJhbGciOi.abc-def_ghi", f"Authorization: Bearer {MASK}"),
    ("GET /v1/x?token=abc123&page=2", f"GET /v1/x?token={MASK}&page=2"),
    ("password=hunter22 next", f"password={MASK} next"),
    ('{"password": "hunter22", "user": "u"}', f'{{"password": "{MASK}", "user": "u"}}'),
    ("postgresql://exam_user:s3cr3t@db:5432/exam", f"postgresql://exam_user:{MASK}@db:5432/exam"),
])
def test_patterns(text, expected):
    assert Redactor().text(text) == expected


def test_redaction_is_idempotent():
    redactor = Redactor(["abcdef123456"])
    once = redactor.text("token=abcdef123456 Bearer abcdef123456 postgres://u:abcdef123456@h/d")
    assert redactor.text(once) == once and "abcdef123456" not in once


def test_a_short_known_secret_is_masked_as_a_whole_token_and_words_holding_it_are_left_alone():
    redactor = Redactor(["pass1", "ab"])
    text = 'login pass1 failed; password passing pass1word; {"pw": "pass1"}; key=ab; about tabs ab_c'
    assert redactor.text(text) == (f'login {MASK} failed; password passing pass1word; {{"pw": "{MASK}"}}; '
                                   f'key={MASK}; about tabs ab_c')


def test_short_env_values_are_not_taken_for_secrets():
    assert secrets_in_env({"EXAM_MODE": "true", "PGPORT": "5432", "JWT_SECRET": "s3"}, allowlist=[]) == set()


def test_structured_values_are_redacted_and_secret_named_fields_masked():
    redactor = Redactor(["verysecretvalue"])
    value = {"note": "has verysecretvalue inside", "password": "anything", "nested": [{"api_token": "t0k"}],
             "count": 3, "flag": True}
    assert redactor.value(value) == {"note": f"has {MASK} inside", "password": MASK,
                                     "nested": [{"api_token": MASK}], "count": 3, "flag": True}


def test_which_env_values_count_as_secrets():
    allow = ["EXAM_MODE", "UVICORN_WORKERS"]
    assert is_secret_env("JWT_SECRET", "x" * 43, allow)
    assert is_secret_env("DATABASE_URL", "postgresql://u:pw123456@h/d", allow)
    assert is_secret_env("SOMETHING", "Zq3kL9vP2mX8tR4wY7nB", allow)  # long and random-looking
    assert not is_secret_env("POSTGRES_USER", "exam_user", allow)
    assert not is_secret_env("PATH", "/usr/local/bin:/usr/bin", allow)
    assert not is_secret_env("REDIS_URL", "redis://exam_platform_redis:6379/0", allow)
    assert not is_secret_env("PYTHON_VERSION", "3.11.2", allow)
    assert is_secret_env("SOMETHING_ELSE", "9f86d081884c7d659a2feaa0c55ad015", allow)  # a hex token
    assert not is_secret_env("EXAM_MODE", "x" * 43, allow)  # allow-listed keys never are
    assert secrets_in_env({"DATABASE_URL": "postgresql://u:pw123456@h/d"}, allow) == {
        "postgresql://u:pw123456@h/d", "pw123456"}
