"""Which secrets does this text hold? Replace them before the text leaves the machine.

Transcripts are full of pasted keys. Each shape below is one named rule; the
placeholder names the rule, so a reader of the embedded text knows what was there.
The content hash is never recomputed from the redacted text: identity stays with
the original content.

Speed matters: every text passes through here before it is embedded. Each rule names
lower-case literals ("hints") of which every match holds one; a text is searched only
with the rules whose hints it holds, most texts with none.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

PLACEHOLDER = "[REDACTED:{kind}]"


@dataclass(frozen=True)
class Rule:
    """One shape of secret. Only the group named `secret` is replaced when the pattern has one
    (what names the secret stays readable), else the whole match."""

    name: str
    pattern: str
    hints: tuple[str, ...]
    # Contextual rules (a name, a header, a URL) run after the token shapes, so a known token
    # keeps its own name inside `API_KEY=...` and is not taken twice.
    contextual: bool = False


# Token bodies, as the issuers document them.
_B64 = r"[A-Za-z0-9+/]"
_URLSAFE = r"[A-Za-z0-9_-]"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _token(prefixes: str, body: str) -> str:
    """A token: one of the literal `prefixes` (|-separated), where no letter or digit precedes it, then
    `body`. The check comes after the prefix so that the search can jump from prefix to prefix
    instead of trying every position."""
    return "(?:" + "|".join(f"{re.escape(p)}(?<![A-Za-z0-9]{re.escape(p)})" for p in prefixes.split("|")) + ")" + body


# Shapes with no literal prefix; they run only on texts holding their hint.
_START = r"(?<![A-Za-z0-9])"
_END = r"(?![A-Za-z0-9])"

# A name that says its value is a secret: DB_PASSWORD, POSTGRES_PASSWORD, client-secret, apiKey,
# x-api-key, aws.secret_access_key ... Only its last word is matched (so `_` before it is fine,
# where a `\b` fails), and it must end there: `passwordless` and `max_tokens` name no secret.
# The short words must also start there, or `bypass` and `compass` would.
_SECRET_NAME = (r"(?i:pass(?:words?|wd|(?<![A-Za-z0-9]pass))|pwd(?<![A-Za-z0-9]pwd)|secret|token|credentials?"
                r"|(?:api|access|private|secret|signing|encryption|master|auth)[_-]?key)(?![A-Za-z0-9])")
# What is not a secret value however it is named: a variable, a template, a type, an empty word.
_NOT_A_VALUE = (r"(?!\[REDACTED:|\$|%\(|<|\{|\*{3}"
                r"|(?i:str|int|bool|bytes|string|number|boolean|any|none|null|nil|true|false|undefined"
                r"|optional|required|os\.environ|process\.env|env\(|getenv|input\()(?![A-Za-z0-9_]))")
# Unquoted: up to a space or a delimiter, and not a call or subscript (`token = get_token()`).
_BARE_VALUE = r"[^\s\"'`,;&<>(){}\[\]]{3,}+(?![(\[])"
# `:` in prose ("the secret: keep it short") is no assignment; in YAML the bare value ends the line.
_LINE_END = r"(?=[ \t]*(?:#|\r?\n|$))"


def _keyed(words: str, value: str) -> str:
    """`<a word naming the service ...> = value` (or `: value`), the value the secret."""
    return (rf"(?i:{words})[A-Za-z0-9_.-]{{0,30}}[\"']?\s*[:=]\s*[\"']?(?P<secret>{value}){_END}")


RULES: tuple[Rule, ...] = (
    # Keys and certificates' private halves, whatever the format (RSA, EC, DSA, OPENSSH, ENCRYPTED,
    # PGP ... BLOCK); a key pasted without its end is cut to the end of the text.
    Rule("private_key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                        r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*\Z)", ("-----begin",)),
    Rule("age_secret_key", r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}", ("age-secret-key-1",)),
    Rule("jwt", _token("eyJ", r"[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), ("eyj",)),
    # AI providers
    Rule("anthropic_key", _token("sk-ant-", r"(?:api|admin)?[0-9]*-?[A-Za-z0-9_-]{20,}"), ("sk-ant-",)),
    Rule("openai_key", _token("sk-", r"(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"), ("sk-",)),
    Rule("huggingface_token", _token("hf_|api_org_", r"[A-Za-z0-9]{30,}"), ("hf_", "api_org_")),
    Rule("replicate_token", _token("r8_", r"[A-Za-z0-9]{37}" + _END), ("r8_",)),
    Rule("groq_key", _token("gsk_", r"[A-Za-z0-9]{48,}"), ("gsk_",)),
    Rule("perplexity_key", _token("pplx-", r"[A-Za-z0-9]{40,}"), ("pplx-",)),
    Rule("xai_key", _token("xai-", r"[A-Za-z0-9]{70,}"), ("xai-",)),
    # Cloud
    Rule("aws_access_key",
         r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[0-9A-Z]{16}(?![A-Z0-9])",
         ("akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "apka")),
    Rule("aws_mws_key", r"amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", ("amzn.mws.",)),
    Rule("google_api_key", _token("AIza", r"[0-9A-Za-z_-]{35}"), ("aiza",)),
    Rule("google_oauth_token", _token("ya29.", r"[0-9A-Za-z_-]{20,}"), ("ya29.",)),
    Rule("google_client_secret", _token("GOCSPX-", r"[0-9A-Za-z_-]{28}"), ("gocspx-",)),
    Rule("azure_client_secret", _START + r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}", ("q~",)),
    Rule("digitalocean_token", _token("do", r"[opr]_v1_[a-f0-9]{64}"), ("_v1_",)),
    Rule("heroku_key", _token("HRKU-", r"[A-Za-z0-9_-]{60}"), ("hrku-",)),
    Rule("databricks_token", _token("dapi", r"[a-f0-9]{32}(?:-[0-9])?" + _END), ("dapi",)),
    Rule("pulumi_token", _token("pul-", r"[a-f0-9]{40}" + _END), ("pul-",)),
    Rule("vault_token", _token("hv", r"[sb]\.[A-Za-z0-9_-]{24,}"), ("hvs.", "hvb.")),
    Rule("terraform_token", _START + r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}", ("atlasv1",)),
    Rule("doppler_token", _token("dp.", r"(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}"), ("dp.",)),
    Rule("newrelic_key", _token("NR", r"(?:AK|II|AA|JS)-[A-Za-z0-9]{20,}"), ("nrak-", "nrii-", "nraa-", "nrjs-")),
    Rule("sentry_token", (_token("sntrys_", r"[A-Za-z0-9+/=_]{40,}") + "|" + _token("sntryu_", r"[a-f0-9]{64}")), ("sntrys_", "sntryu_")),
    Rule("grafana_token", (_token("glsa_", r"[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}") + "|" + _token("glc_", r"[A-Za-z0-9+/]{32,}={0,2}")),
         ("glsa_", "glc_")),
    Rule("netlify_token", _token("nfp_", r"[A-Za-z0-9]{36,}"), ("nfp_",)),
    Rule("shopify_token", _token("shp", r"(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _END), ("shpat_", "shpca_", "shppa_", "shpss_")),
    Rule("atlassian_token", _token("ATATT3", r"[A-Za-z0-9_=-]{100,}"), ("atatt3",)),
    Rule("linear_key", _token("lin_", r"(?:api|oauth)_[A-Za-z0-9]{40}" + _END), ("lin_api_", "lin_oauth_")),
    Rule("notion_token", _token("secret_", r"[A-Za-z0-9]{43}" + _END) + "|" + _token("ntn_", r"[A-Za-z0-9]{40,}" + _END), ("secret_", "ntn_")),
    # Version control
    Rule("github_token", _token("gh", r"[pousr]_[A-Za-z0-9]{36,}"), ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    Rule("github_pat", _token("github_pat_", r"[A-Za-z0-9_]{22,}"), ("github_pat_",)),
    Rule("gitlab_token", _token("glpat-", r"[A-Za-z0-9_-]{20,}"), ("glpat-",)),
    Rule("gitlab_runner_token", _token("glrt-|GR1348941", r"[A-Za-z0-9_-]{20,}"),
         ("glrt-", "gr1348941")),
    Rule("gitlab_deploy_token", _token("gldt-", r"[A-Za-z0-9_-]{20,}"), ("gldt-",)),
    Rule("bitbucket_app_password", _token("ATBB", r"[A-Za-z0-9_=.-]{32,}"), ("atbb",)),
    # Chat
    Rule("slack_token", _token("xox", r"[abposr]-[A-Za-z0-9-]{10,}"), ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-")),
    Rule("slack_app_token", _token("xapp-", r"[0-9]-[A-Za-z0-9-]{10,}"), ("xapp-",)),
    Rule("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}",
         ("hooks.slack.com",)),
    Rule("discord_webhook",
         r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]{60,}", ("discord",)),
    # A bot token's shape is too plain to look for in every text: only where Discord is named.
    Rule("discord_bot_token", _START + r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}" + _END,
         ("discord",)),
    Rule("telegram_bot_token", r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{33}" + _END, (":aa",)),
    # Payments
    Rule("stripe_key", _token("sk_live_|rk_live_|pk_live_|sk_test_|rk_test_|pk_test_", r"[A-Za-z0-9]{16,}"), ("_live_", "_test_")),
    Rule("stripe_webhook_secret", _token("whsec_", r"[A-Za-z0-9]{32,}"), ("whsec_",)),
    Rule("square_token", (_token("sq0atp-", r"[0-9A-Za-z_-]{22}") + "|" + _token("sq0csp-", r"[0-9A-Za-z_-]{43}") + "|" + _token("EAAA", r"[A-Za-z0-9_-]{60}")),
         ("sq0atp-", "sq0csp-", "eaaa")),
    Rule("braintree_token", r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}", ("access_token$",)),
    # Mail
    Rule("sendgrid_key", _token("SG.", r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"), ("sg.",)),
    Rule("mailgun_key", _token("key-", r"[0-9a-f]{32}" + _END), ("key-",)),
    Rule("mailchimp_key", _START + r"[0-9a-f]{32}-us[0-9]{1,2}" + _END, ("-us",)),
    # Package registries
    Rule("npm_token", _token("npm_", r"[A-Za-z0-9]{36}" + _END), ("npm_",)),
    Rule("pypi_token", _token("pypi-AgE", r"[A-Za-z0-9_-]{50,}"), ("pypi-",)),
    Rule("nuget_key", _token("oy2", r"[a-z0-9]{43}" + _END), ("oy2",)),
    Rule("rubygems_key", _token("rubygems_", r"[0-9a-f]{48}" + _END), ("rubygems_",)),
    Rule("docker_pat", _token("dckr_pat_", r"[A-Za-z0-9_-]{27,}"), ("dckr_pat_",)),
    Rule("twilio_api_key", r"(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}" + _END, ("sk",)),

    # Named by what surrounds them.
    Rule("aws_secret_key",
         r"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?\s*[:=]\s*[\"']?"
         r"(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", ("secret",), True),
    Rule("aws_session_token",
         r"(?i:session_?token|security_?token|x-amz-security-token)[\"']?\s*[:=]\s*[\"']?"
         r"(?P<secret>[A-Za-z0-9/+=]{100,})", ("token",), True),
    Rule("gcp_private_key_id", r"\"private_key_id\"\s*:\s*\"(?P<secret>[0-9a-f]{40})\"", ("private_key_id",), True),
    Rule("azure_storage_key", r"(?i:AccountKey|SharedAccessKey)\s*=\s*(?P<secret>[A-Za-z0-9+/]{20,}={0,2})",
         ("accountkey", "sharedaccesskey"), True),
    Rule("azure_sas_signature", r"(?<=[?&])sig=(?P<secret>[A-Za-z0-9%+/=]{20,})", ("sig=",), True),
    Rule("heroku_api_key", _keyed("heroku", _UUID), ("heroku",), True),
    Rule("postmark_token", _keyed("postmark", _UUID), ("postmark",), True),
    Rule("twilio_auth_token", _keyed("twilio", "[0-9a-f]{32}"), ("twilio",), True),
    Rule("datadog_key", _keyed("datadog|dd_api|dd_app|dd-api|dd-app", "[a-f0-9]{32}(?:[a-f0-9]{8})?"),
         ("datadog", "dd_api", "dd_app", "dd-api", "dd-app"), True),
    Rule("cloudflare_token", _keyed("cloudflare|cf_api|cf-api", "[A-Za-z0-9_-]{37,40}"),
         ("cloudflare", "cf_api", "cf-api"), True),
    Rule("vercel_token", _keyed("vercel", "[A-Za-z0-9]{24}"), ("vercel",), True),
    Rule("okta_token", _keyed("okta", "00[A-Za-z0-9_-]{40}"), ("okta",), True),
    Rule("bearer_token", r"(?i:\bbearer)\s+(?P<secret>[A-Za-z0-9._~+/=-]{16,})", ("bearer",), True),
    Rule("basic_auth", r"(?i:authorization[\"']?\s*[:=]\s*[\"']?basic)\s+(?P<secret>[A-Za-z0-9+/]{6,}={0,2})",
         ("basic",), True),
    Rule("authorization_header",
         r"(?i:authorization[\"']?\s*[:=]\s*[\"']?(?:token|bot|apikey|sso-key|key))\s+"
         r"(?P<secret>[A-Za-z0-9._~+/=:-]{8,})", ("authorization",), True),
    # user:password@host in URL-style connection strings (postgresql://, redis://, https://). The
    # password may hold `/` and `@`: it ends at the last `@` that a host name follows.
    Rule("connection_password",
         r"(?<=://)[^\s:/@\"']*:(?P<secret>[^\s\"']+)@(?=[A-Za-z0-9_.\[\]%-]+(?::[0-9]+)?(?:[/?#,;)\"'\s]|$))",
         ("://",), True),
    Rule("cli_password_flag",
         r"(?i:(?<!\S)--?(?:password|passwd|pass|token|api-key|secret|client-secret)(?:=|\s+))"
         + _NOT_A_VALUE + r"[\"']?(?P<secret>[^\s\"']{3,})",
         ("-password", "-passwd", "-pass", "-token", "-api-key", "-secret", "-client-secret"), True),
    # "password": "x" in JSON or a Python dict: quoted name, quoted value.
    Rule("json_secret", r"[\"']" + _SECRET_NAME + r"[\"']\s*:\s*[\"']" + _NOT_A_VALUE + r"(?P<secret>[^\"'\n]+)[\"']",
         ("pass", "pwd", "secret", "token", "key", "credential"), True),
    # password: x in YAML: a bare value that ends the line, or a quoted one.
    Rule("yaml_secret", _SECRET_NAME + r"[ \t]*:[ \t]*" + _NOT_A_VALUE
         + r"(?:[\"'](?P<secret>[^\"'\n]+)[\"']|(?P<bare>" + _BARE_VALUE + r")" + _LINE_END + r")",
         ("pass", "pwd", "secret", "token", "key", "credential"), True),
    # NAME=value in .env files, shells, ini, TOML, libpq/JDBC/ODBC strings and query strings.
    # A bare value after ` = ` is code (`token = await fetch()`) unless it ends the line (ini files).
    Rule("env_secret", _SECRET_NAME + r"(?:[ \t]*=[ \t]*[\"']" + _NOT_A_VALUE + r"(?P<secret>[^\"'\n]+)[\"']"
         + r"|=" + _NOT_A_VALUE + r"(?P<bare>" + _BARE_VALUE + r")"
         + r"|[ \t]*=[ \t]*" + _NOT_A_VALUE + r"(?P<line>" + _BARE_VALUE + r")" + _LINE_END + r")",
         ("pass", "pwd", "secret", "token", "key", "credential"), True),
)

KINDS: tuple[str, ...] = tuple(dict.fromkeys(rule.name for rule in RULES))
# Which rules a stored text was redacted with: any change to them makes a run store the texts again.
RULESET = hashlib.sha256("\n".join(f"{r.name}\t{r.pattern}" for r in RULES).encode()).hexdigest()[:16]

_HINTS: dict[str, tuple[int, ...]] = {}
for _index, _rule in enumerate(RULES):
    for _hint in _rule.hints:
        _HINTS[_hint] = (*_HINTS.get(_hint, ()), _index)
_SECRET_GROUPS = ("secret", "bare", "line")


def _own_groups(index: int, pattern: str) -> str:
    """Group names made unique per rule, so that rules can share one alternation."""
    return re.sub(r"\(\?P<(\w+)>", rf"(?P<\1_{index}>", pattern)


def _lowered(pattern: str) -> str:
    """The pattern for a lower-cased text: letters lowered, escapes (`\\S`, `\\Z`) and group names kept."""
    pattern = pattern.replace("(?i:", "(?:")
    return re.sub(r"\\.|\(\?P<\w+>|\(\?P=\w+\)|[A-Z]", lambda m: m.group(0).lower() if len(m.group(0)) == 1 else m.group(0),
                  pattern)


@lru_cache(maxsize=1024)
def _searcher(indexes: tuple[int, ...], lowered: bool = False, flags: int = 0) -> re.Pattern:
    """One alternation of these rules: at a position, the first of them that matches wins."""
    parts = []
    for i in indexes:
        pattern = _own_groups(i, RULES[i].pattern)
        parts.append(f"(?P<r{i}>{_lowered(pattern) if lowered else pattern})")
    return re.compile("|".join(parts), re.DOTALL | flags)


@dataclass(frozen=True)
class Redaction:
    """The text to send and the kinds of secret that were taken out of it."""

    text: str
    kinds: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def rules_for(text: str) -> tuple[int, ...]:
    """The rules that can match in `text` (by their hints); most texts need none."""
    lowered = text.lower()
    found = {index for hint, indexes in _HINTS.items() if hint in lowered for index in indexes}
    return tuple(sorted(found))


def might_hold_secret(text: str) -> bool:
    """False when no rule can match, so no regular expression need run."""
    return bool(rules_for(text))


def _pass(text: str, indexes: tuple[int, ...], found: list[str], contextual: bool) -> str:
    if not indexes:
        return text
    subject, flags = text, 0
    if contextual:
        # The names around these secrets come in any case; Python's case-insensitive matching of
        # many words is ten times slower than matching them in a lower-cased copy, whose positions
        # are the text's as long as lowering kept its length (it does, but for a few letters).
        lowered = text.lower()
        if len(lowered) == len(text):
            subject = lowered
        else:
            flags = re.IGNORECASE
    pieces, last = [], 0
    for match in _searcher(indexes, contextual, flags).finditer(subject):
        index = int(match.lastgroup[1:])
        kind = RULES[index].name
        found.append(kind)
        start, end = match.span()
        for name in _SECRET_GROUPS:
            group = f"{name}_{index}"
            if group in match.re.groupindex and match.start(group) >= 0:
                start, end = match.span(group)
                break
        pieces += (text[last:start], PLACEHOLDER.format(kind=kind))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def redact(text: str) -> Redaction:
    """Replace every secret shape in `text` with a placeholder naming its kind."""
    indexes = rules_for(text)
    if not indexes:
        return Redaction(text)
    found: list[str] = []
    out = _pass(text, tuple(i for i in indexes if not RULES[i].contextual), found, False)
    out = _pass(out, tuple(i for i in indexes if RULES[i].contextual), found, True)
    return Redaction(out, tuple(dict.fromkeys(found)))


class Redactions:
    """Each distinct text redacted once, however many rows ask for it (keyed by its content hash)."""

    def __init__(self) -> None:
        self._done: dict[str, Redaction] = {}

    def get(self, content_hash: str, text: str) -> Redaction:
        found = self._done.get(content_hash)
        if found is None:
            # Two threads may both miss and redact the same text: the results are equal.
            found = self._done[content_hash] = redact(text)
        return found

    def put(self, content_hash: str, redaction: Redaction) -> None:
        """Record a redaction made elsewhere (by the process that prepared the texts)."""
        self._done[content_hash] = redaction
