"""Which secrets does a text hold? embed/redact.py on single inputs."""

from __future__ import annotations

import pytest

from chatlake.embed.redact import KINDS, redact

PRIVATE_KEY = """-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDxAv9wq0c6hZ4dX2GbbQ5jWEXAMPLEONLY
-----END OPENSSH PRIVATE KEY-----"""

# kind -> (text holding the secret, the secret itself)
SHAPES = {
    "private_key": (f"my key is\n{PRIVATE_KEY}\nplease add it", PRIVATE_KEY),
    "anthropic_key": ("export ANTHROPIC_API_KEY=sk-ant-api03-Qm4Lp8Vt2Rx6Nz1Kc9Hb5JdWq", "sk-ant-api03-Qm4Lp8Vt2Rx6Nz1Kc9Hb5JdWq"),
    "openai_key": ("client = OpenAI(api_key='sk-proj-Zx81mQpLr2VbT9kWn4Hs7JdYc3Fa')", "sk-proj-Zx81mQpLr2VbT9kWn4Hs7JdYc3Fa"),
    "aws_access_key": ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "aws_secret_key": ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    "github_token": ("git push https://ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 main", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    "gitlab_token": ("token glpat-xY7zW3vU9tS1rQ5pO2nM", "glpat-xY7zW3vU9tS1rQ5pO2nM"),
    "google_api_key": ("key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    "slack_token": ("SLACK_TOKEN=xoxb-2048-1234567890-AbCdEfGhIj", "xoxb-2048-1234567890-AbCdEfGhIj"),
    "stripe_key": ("stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    "huggingface_token": ("HF_TOKEN=hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
    "jwt": ("supabase anon key eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r",
            "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r"),
    "bearer_token": ("curl -H 'Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0' api", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    "connection_password": ("DATABASE_URL=postgresql://app:hunter2-Prod@db.internal:5432/prod", "hunter2-Prod"),
}


def test_every_rule_has_a_case():
    assert set(SHAPES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_each_secret_shape_is_replaced_by_a_placeholder_naming_it(kind):
    text, secret = SHAPES[kind]
    result = redact(text)
    assert secret not in result.text
    assert f"[REDACTED:{kind}]" in result.text
    assert result.kinds == (kind,)


def test_what_surrounds_a_secret_is_kept():
    assert redact(SHAPES["connection_password"][0]).text == \
        "DATABASE_URL=postgresql://app:[REDACTED:connection_password]@db.internal:5432/prod"
    assert redact("Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0").text == \
        "Authorization: Bearer [REDACTED:bearer_token]"
    assert redact(SHAPES["private_key"][0]).text == "my key is\n[REDACTED:private_key]\nplease add it"


def test_a_key_value_password_in_a_libpq_string():
    result = redact("psql 'host=db user=app password=s3cr3t-pw dbname=prod'")
    assert "s3cr3t-pw" not in result.text
    assert "password=[REDACTED:connection_password] dbname=prod" in result.text


def test_a_pasted_private_key_without_its_end_is_cut_to_the_end_of_the_text():
    result = redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\n(pasted only this much")
    assert result.text == "[REDACTED:private_key]"


def test_several_secrets_in_one_text():
    text = f"{SHAPES['openai_key'][0]} and {SHAPES['aws_access_key'][0]}"
    result = redact(text)
    assert set(result.kinds) == {"openai_key", "aws_access_key"}
    assert SHAPES["openai_key"][1] not in result.text and SHAPES["aws_access_key"][1] not in result.text


@pytest.mark.parametrize("text", [
    "refactor the parser so that it handles empty files",
    "why does the task-runner skip the sk- prefixed tests?",
    "the bearer of bad news",
    "see https://example.com/docs and postgresql://localhost/dev",
    "set the password field in the form",
])
def test_ordinary_text_is_left_alone(text):
    result = redact(text)
    assert result.text == text
    assert not result.changed
