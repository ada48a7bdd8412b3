"""Which secrets does a text hold? chatlake/core/redact.py on single inputs."""

from __future__ import annotations

import pytest

from chatlake.core.redact import KINDS, RULES, redact

# Fake secrets of the issuers' shapes, built here so that no scanner takes this file for a leak.
A = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6" * 3  # letters and digits
H = "0123456789abcdef" * 8  # lower-case hex
UUID = "3f2a9c1e-7b4d-4e8a-9f6c-2d1b0a9e8c7f"
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
PGP = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGXkZx8BCAC\n-----END PGP PRIVATE KEY BLOCK-----"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r"

# kind -> (text holding the secret, the secret itself)
SHAPES = {
    "private_key": (f"my key is\n{PEM}\nplease add it", PEM),
    "age_secret_key": ("AGE-SECRET-KEY-1" + "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2 + " is the age key",
                       "AGE-SECRET-KEY-1" + ("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2)[:58]),
    "jwt": (f"supabase anon key {JWT}", JWT),
    "anthropic_key": ("export ANTHROPIC_API_KEY=sk-ant-api03-Qm4Lp8Vt2Rx6Nz1Kc9Hb5JdWq", "sk-ant-api03-Qm4Lp8Vt2Rx6Nz1Kc9Hb5JdWq"),
    "openai_key": ("client = OpenAI(api_key='sk-proj-Zx81mQpLr2VbT9kWn4Hs7JdYc3Fa')", "sk-proj-Zx81mQpLr2VbT9kWn4Hs7JdYc3Fa"),
    "huggingface_token": (f"HF_TOKEN=hf_{A[:34]}", f"hf_{A[:34]}"),
    "replicate_token": (f"REPLICATE_API_TOKEN=r8_{A[:37]}", f"r8_{A[:37]}"),
    "groq_key": (f"groq key gsk_{A[:52]}", f"gsk_{A[:52]}"),
    "perplexity_key": (f"use pplx-{A[:48]} for search", f"pplx-{A[:48]}"),
    "xai_key": (f"grok: xai-{A[:80]}", f"xai-{A[:80]}"),
    "aws_access_key": ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "aws_mws_key": (f"mws amzn.mws.{UUID}", f"amzn.mws.{UUID}"),
    "google_api_key": ("key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    "google_oauth_token": (f"gcloud token ya29.{A[:60]}", f"ya29.{A[:60]}"),
    "google_client_secret": (f"client secret GOCSPX-{A[:28]}", f"GOCSPX-{A[:28]}"),
    "azure_client_secret": (f"the app secret is abc8Q~{A[:34]} now", f"abc8Q~{A[:34]}"),
    "digitalocean_token": (f"doctl auth init -t dop_v1_{H[:64]}", f"dop_v1_{H[:64]}"),
    "heroku_key": (f"HRKU-{A[:60]} is the heroku token", f"HRKU-{A[:60]}"),
    "databricks_token": (f"databricks dapi{H[:32]}", f"dapi{H[:32]}"),
    "pulumi_token": (f"PULUMI_ACCESS_TOKEN set to pul-{H[:40]}", f"pul-{H[:40]}"),
    "vault_token": (f"vault login hvs.{A[:90]}", f"hvs.{A[:90]}"),
    "terraform_token": (f"credentials {A[:14]}.atlasv1.{A[:70]}", f"{A[:14]}.atlasv1.{A[:70]}"),
    "doppler_token": (f"doppler dp.pt.{A[:43]}", f"dp.pt.{A[:43]}"),
    "newrelic_key": (f"NEW_RELIC user key NRAK-{A[:27].upper()}", f"NRAK-{A[:27].upper()}"),
    "sentry_token": (f"sentry-cli with sntrys_{A[:60]}", f"sntrys_{A[:60]}"),
    "grafana_token": (f"grafana glsa_{A[:32]}_{H[:8]}", f"glsa_{A[:32]}_{H[:8]}"),
    "netlify_token": (f"netlify deploy --auth nfp_{A[:40]}", f"nfp_{A[:40]}"),
    "shopify_token": (f"X-Shopify-Access-Token shpat_{H[:32]}", f"shpat_{H[:32]}"),
    "atlassian_token": (f"jira api token ATATT3{A[:120]}", f"ATATT3{A[:120]}"),
    "linear_key": (f"linear lin_api_{A[:40]}", f"lin_api_{A[:40]}"),
    "notion_token": (f"notion integration ntn_{A[:46]}", f"ntn_{A[:46]}"),
    "github_token": ("git push https://ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 main", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    "github_pat": (f"gh auth login with github_pat_11{A[:80]}", f"github_pat_11{A[:80]}"),
    "gitlab_token": ("token glpat-xY7zW3vU9tS1rQ5pO2nM", "glpat-xY7zW3vU9tS1rQ5pO2nM"),
    "gitlab_runner_token": (f"gitlab-runner register --token glrt-{A[:24]}", f"glrt-{A[:24]}"),
    "gitlab_deploy_token": (f"deploy with gldt-{A[:24]}", f"gldt-{A[:24]}"),
    "bitbucket_app_password": (f"bitbucket app password ATBB{A[:32]}", f"ATBB{A[:32]}"),
    "slack_token": ("SLACK_TOKEN=xoxb-2048-1234567890-AbCdEfGhIj", "xoxb-2048-1234567890-AbCdEfGhIj"),
    "slack_app_token": ("socket mode xapp-1-A0123456789-1234567890-abcdef0123", "xapp-1-A0123456789-1234567890-abcdef0123"),
    "slack_webhook": ("post to https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX",
                      "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"),
    "discord_webhook": (f"webhook https://discord.com/api/webhooks/123456789012345678/{A[:68]}",
                        f"https://discord.com/api/webhooks/123456789012345678/{A[:68]}"),
    "discord_bot_token": (f"discord bot token M{A[:25]}.Gh7Kx2.{A[:38]}", f"M{A[:25]}.Gh7Kx2.{A[:38]}"),
    "telegram_bot_token": (f"bot 123456789:AA{A[:33]} for alerts", f"123456789:AA{A[:33]}"),
    "stripe_key": ("stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    "stripe_webhook_secret": (f"endpoint secret whsec_{A[:32]}", f"whsec_{A[:32]}"),
    "square_token": (f"square sq0atp-{A[:22]}", f"sq0atp-{A[:22]}"),
    "braintree_token": (f"gateway access_token$production${H[:16]}${H[:32]}", f"access_token$production${H[:16]}${H[:32]}"),
    "sendgrid_key": (f"SENDGRID SG.{A[:22]}.{A[:43]}", f"SG.{A[:22]}.{A[:43]}"),
    "mailgun_key": (f"mailgun api key-{H[:32]}", f"key-{H[:32]}"),
    "mailchimp_key": (f"mailchimp {H[:32]}-us12", f"{H[:32]}-us12"),
    "npm_token": (f"//registry.npmjs.org/:_authToken=npm_{A[:36]}", f"npm_{A[:36]}"),
    "pypi_token": (f"twine upload -p pypi-AgEIcHlwaS5vcmc{A[:70]}", f"pypi-AgEIcHlwaS5vcmc{A[:70]}"),
    "nuget_key": (f"nuget push -k oy2{H[:43]}", f"oy2{H[:43]}"),
    "rubygems_key": (f"gem credentials rubygems_{H[:48]}", f"rubygems_{H[:48]}"),
    "docker_pat": (f"docker login -u me --password-stdin <<< dckr_pat_{A[:27]}", f"dckr_pat_{A[:27]}"),
    "twilio_api_key": (f"twilio api SK{H[:32]}", f"SK{H[:32]}"),
    "aws_secret_key": (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    "aws_session_token": (f'{{"SessionToken": "{A[:120]}"}}', A[:120]),
    "gcp_private_key_id": (f'{{"type": "service_account", "private_key_id": "{H[:40]}"}}', H[:40]),
    "azure_storage_key": (f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={A[:86]}==;EndpointSuffix=core",
                          f"{A[:86]}=="),
    "azure_sas_signature": ("https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbCdEf0123456789%2BxYz%3D&se=2026",
                            "AbCdEf0123456789%2BxYz%3D"),
    "heroku_api_key": (f"HEROKU_API_KEY={UUID}", UUID),
    "postmark_token": (f"X-Postmark-Server-Token: {UUID}", UUID),
    "twilio_auth_token": (f"TWILIO_AUTH_TOKEN={H[:32]}", H[:32]),
    "datadog_key": (f"DD_API_KEY={H[:32]}", H[:32]),
    "cloudflare_token": (f"CLOUDFLARE_API_TOKEN={A[:40]}", A[:40]),
    "vercel_token": (f"VERCEL_TOKEN={A[:24]}", A[:24]),
    "okta_token": (f"OKTA_API_TOKEN=00{A[:40]}", f"00{A[:40]}"),
    "bearer_token": ("curl -H 'Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0' api", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
    "basic_auth": ("Authorization: Basic YWRtaW46aHVudGVyMg==", "YWRtaW46aHVudGVyMg=="),
    "authorization_header": ("-H 'Authorization: token 4f9a8b7c6d5e4f3a2b1c'", "4f9a8b7c6d5e4f3a2b1c"),
    "connection_password": ("DATABASE_URL=postgresql://app:hunter2-Prod@db.internal:5432/prod", "hunter2-Prod"),
    "cli_password_flag": ("mysql -u root --password hunter2prod -h db", "hunter2prod"),
    "json_secret": ('{"user": "app", "password": "correct horse battery"}', "correct horse battery"),
    "yaml_secret": ("db:\n  user: app\n  password: hunter2prod\n  port: 5432", "hunter2prod"),
    "env_secret": ("DB_PASSWORD=hunter2prod", "hunter2prod"),
}

# The shapes the issue named as missed, and others of the same families, each with its expected kind.
MORE = [
    ("POSTGRES_PASSWORD=s3cr3t-pw", "s3cr3t-pw", "env_secret"),
    ("export DB_PASSWORD='pa ss word'", "pa ss word", "env_secret"),
    ("psql 'host=db user=app password=s3cr3t-pw dbname=prod'", "s3cr3t-pw", "env_secret"),
    ("[client]\npassword = hunter2prod\n", "hunter2prod", "env_secret"),
    ("mysql:\n  MYSQL_ROOT_PASSWORD: \"r00t pass\"\n", "r00t pass", "yaml_secret"),
    ('{"AccessKeyId": "ASIAIOSFODNN7EXAMPLE", "SecretAccessKey": "' + AWS_SECRET + '"}', AWS_SECRET, "aws_secret_key"),
    (f"AWS_SESSION_TOKEN={A[:150]}", A[:150], "aws_session_token"),
    ("https://user:pa/ss@word@db.example.com:5432/app", "pa/ss@word", "connection_password"),
    ("redis://:hunter2@cache:6379/0", "hunter2", "connection_password"),
    (f"gpg key\n{PGP}", PGP, "private_key"),
    (f'{{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n"}}',
     "MIIEvQIBADANBg", "private_key"),
    ("mysql --password=hunter2prod", "hunter2prod", "cli_password_flag"),
    ("const apiKey = \"k3y-abcdef123456\";", "k3y-abcdef123456", "env_secret"),
    (f"Authorization: Bearer {JWT}", JWT, "jwt"),
    ("sk-ant-api03-Qm4Lp8Vt2Rx6Nz1Kc9Hb5JdWq", "sk-ant-api03-Qm4Lp8Vt2Rx6Nz1Kc9Hb5JdWq", "anthropic_key"),
]


def test_every_rule_has_a_case_and_there_are_many():
    assert set(SHAPES) == set(KINDS)
    assert len(RULES) >= 60


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_each_secret_shape_is_replaced_by_a_placeholder_naming_it(kind):
    text, secret = SHAPES[kind]
    result = redact(text)
    assert secret not in result.text
    assert f"[REDACTED:{kind}]" in result.text
    assert result.kinds == (kind,)


@pytest.mark.parametrize("text, secret, kind", MORE)
def test_shapes_in_other_syntaxes(text, secret, kind):
    result = redact(text)
    assert secret not in result.text, result.text
    assert kind in result.kinds


def test_what_surrounds_a_secret_is_kept():
    assert redact(SHAPES["connection_password"][0]).text == \
        "DATABASE_URL=postgresql://app:[REDACTED:connection_password]@db.internal:5432/prod"
    assert redact("Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0").text == \
        "Authorization: Bearer [REDACTED:bearer_token]"
    assert redact(SHAPES["private_key"][0]).text == "my key is\n[REDACTED:private_key]\nplease add it"
    assert redact("psql 'host=db password=s3cr3t-pw dbname=prod'").text == \
        "psql 'host=db password=[REDACTED:env_secret] dbname=prod'"
    assert redact("export OPENAI_API_KEY=sk-proj-Zx81mQpLr2VbT9kWn4Hs7JdYc3Fa").text == \
        "export OPENAI_API_KEY=[REDACTED:openai_key]"  # the token's own rule names it, once


def test_a_pasted_private_key_without_its_end_is_cut_to_the_end_of_the_text():
    result = redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\n(pasted only this much")
    assert result.text == "[REDACTED:private_key]"


def test_several_secrets_in_one_text():
    text = f"{SHAPES['openai_key'][0]} and {SHAPES['aws_access_key'][0]}"
    result = redact(text)
    assert set(result.kinds) == {"openai_key", "aws_access_key"}
    assert SHAPES["openai_key"][1] not in result.text and SHAPES["aws_access_key"][1] not in result.text


def test_a_text_whose_lower_case_is_longer_is_still_redacted():
    text = "İstanbul deploy: DB_PASSWORD=hunter2prod"  # 'İ'.lower() is two characters
    assert redact(text).text == "İstanbul deploy: DB_PASSWORD=[REDACTED:env_secret]"


@pytest.mark.parametrize("text", [
    "refactor the parser so that it handles empty files",
    "why does the task-runner skip the sk- prefixed tests?",
    "the bearer of bad news",
    "see https://example.com/docs and postgresql://localhost/dev",
    "set the password field in the form",
    "the secret: keep it short and ask the token budget first",
    "def login(password: str, token: Optional[str] = None) -> bool:",
    "const token = await getToken(); headers.set('Authorization', `Bearer ${token}`);",
    "password = request.form['password']\nif not password:\n    abort(400)",
    "export DB_PASSWORD=$DB_PASSWORD_FROM_VAULT",
    "the primary key of sessions is session_id; max_tokens=8191 and the api key lives in the keychain",
    "passwordless login via magic links; the tokenizer counts tokens",
    "bypass=true compass=north",
    "Basic authentication is deprecated; use OAuth",
    "git rebase -i HEAD~3 and ask about the SKU list in Asia",
    "the docs at https://docs.python.org/3/library/re.html#re.sub say so",
    "password: ${{ secrets.DB_PASSWORD }}",
])
def test_ordinary_text_is_left_alone(text):
    result = redact(text)
    assert result.text == text
    assert not result.changed
