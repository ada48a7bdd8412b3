"""Generate Codex CLI and Gemini CLI session trees, with the human messages they contain.

Used by the tests (which compare the marts to `expected`) and the benchmark. Shapes follow
../shared/corpus/agents/FORMAT-NOTES.md, one generation each:

- Codex `g1` (Rust <= 0.31: a bare meta line, bare Responses-API items, `record_type: state`),
  `g2` (0.32-0.4x: the `{timestamp, type, payload}` envelope, `user_message` events with
  `kind: plain`, the IDE extension's wrapper) and `g3` (2026: developer-role context, AGENTS.md
  as `# AGENTS.md instructions for`, repeated `token_count` snapshots, forks and sub-agents).
- Gemini CLI `json` (<= v0.38: one document, rewritten whole; `json-v0.2` has string content) and
  `jsonl` (v0.39 on: appended records, messages written again as they change, `$set`, `$rewindTo`).
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chatlake.example.transcripts import WORDS

ENVIRONMENT = ("<environment_context>\n  <cwd>{cwd}</cwd>\n  <approval_policy>on-request</approval_policy>\n"
               "  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>restricted</network_access>\n"
               "  <shell>bash</shell>\n</environment_context>")
AGENTS_MD = "# AGENTS.md instructions for {cwd}\n\n<INSTRUCTIONS>\nRun the tests with uv.\n</INSTRUCTIONS>"
LEGACY_AGENTS_MD = "<user_instructions>\n\nRun the tests with uv.\n\n</user_instructions>"
IDE_WRAPPER = "# Context from my IDE setup:\n\n## Open tabs:\n- src/app.py: src/app.py\n\n## My request for Codex:\n{text}\n"
PERMISSIONS = "<permissions instructions>\nFilesystem sandboxing: workspace-write.\n</permissions instructions>"


@dataclass(frozen=True)
class AgentMessage:
    """A message a person typed, as the marts should show it."""

    source: str
    session_id: str
    content: str
    source_file: str


@dataclass
class AgentTree:
    root: Path
    files: list[Path] = field(default_factory=list)
    expected: list[AgentMessage] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)  # those the `sessions` mart shows
    bytes_written: int = 0


class _Clock:
    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.now = start

    def tick(self, seconds: float = 4.0) -> str:
        self.now += timedelta(seconds=self.rng.uniform(1.1, seconds))
        return stamp(self.now)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _line(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class CodexSession:
    session_id: str
    path: Path
    generation: str
    cwd: str
    clock: _Clock
    lines: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=lambda: dict.fromkeys(
        ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens"), 0))


class _Generator:
    """What both generators share: the folder they write, their randomness, sizes and start."""

    START = datetime(2026, 2, 1, 9, 0, tzinfo=timezone.utc)

    def __init__(self, root: Path, seed: int = 7, output_bytes: int = 1500, start: datetime | None = None) -> None:
        self.root = Path(root)
        self.rng = random.Random(seed)
        self.output_bytes = output_bytes
        self.tree = AgentTree(self.root)
        self.made: list = []
        self.start = start or self.START

    def _sentence(self, n: int = 8) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n))


class CodexGenerator(_Generator):
    """Writes rollouts into a folder shaped like `$CODEX_HOME` (`sessions/YYYY/MM/DD/`, `archived_sessions/`)."""

    @property
    def home(self) -> Path:
        return self.root

    def session(self, generation: str = "g2", prompts: int = 4, ide: bool = False, fork_of: CodexSession | None = None,
                subagent_of: CodexSession | None = None, archived: bool = False) -> CodexSession:
        rng = self.rng
        sid = str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
        begin = self.start + timedelta(hours=rng.uniform(0, 24 * 30))
        if fork_of is not None:
            begin = fork_of.clock.now + timedelta(minutes=5)
        name = f"rollout-{begin.strftime('%Y-%m-%dT%H-%M-%S')}-{sid}.jsonl"
        folder = self.home / "archived_sessions" if archived else self.home / "sessions" / begin.strftime("%Y/%m/%d")
        if generation == "g1":
            folder = self.home / "sessions"  # the flat layout of before mid-2025
        cwd = f"/home/dev/work/{rng.choice(['api', 'web', 'infra'])}"
        s = CodexSession(sid, folder / name, generation, cwd, _Clock(rng, begin))
        if generation == "g1":
            self._g1(s, prompts)
        else:
            self._meta(s, fork_of, subagent_of)
            if fork_of is not None:
                # Codex persists the parent's items as they are, in the second the fork is made
                second = stamp(s.clock.now)
                for parent_line in fork_of.lines:
                    s.lines.append({**parent_line, "timestamp": second})
                s.totals = dict(fork_of.totals)
            self._context(s)
            for _ in range(prompts):
                self.turn(s, ide=ide, typed=subagent_of is None)
        self.write(s)
        self.made.append(s)
        if subagent_of is None:
            self.tree.sessions.add(sid)
        return s

    def _g1(self, s: CodexSession, prompts: int) -> None:
        s.lines.append({"id": s.session_id, "timestamp": stamp(s.clock.now), "instructions": None,
                        "git": {"commit_hash": "0" * 40, "branch": "main"}})
        s.lines.append({"record_type": "state"})
        s.lines.append(self._message("user", ENVIRONMENT.format(cwd=s.cwd)))
        for _ in range(prompts):
            text = self._sentence()
            s.lines.append(self._message("user", text))
            self._expect(s, text)
            s.lines.append({"type": "reasoning", "summary": [{"type": "summary_text", "text": "Looking."}],
                            "encrypted_content": None})
            call = f"call_{self.rng.getrandbits(40):x}"
            s.lines.append({"type": "function_call", "name": "shell", "arguments": json.dumps({"command": ["ls"]}),
                            "call_id": call})
            s.lines.append({"type": "function_call_output", "call_id": call,
                            "output": json.dumps({"output": "x" * self.output_bytes, "metadata": {"exit_code": 0}})})
            s.lines.append(self._message("assistant", self._sentence(12), "output_text"))
            s.lines.append({"record_type": "state"})

    def _meta(self, s: CodexSession, fork_of: CodexSession | None, subagent_of: CodexSession | None) -> None:
        payload = {"id": s.session_id, "timestamp": stamp(s.clock.now), "cwd": s.cwd,
                   "originator": "codex_vscode" if s.generation == "g2" else "codex_cli_rs",
                   "cli_version": "0.39.0" if s.generation == "g2" else "0.146.0",
                   "source": "vscode" if s.generation == "g2" else "cli", "model_provider": "openai",
                   "git": {"commit_hash": "1" * 40, "branch": self.rng.choice(["main", "fix/lock"])}}
        if s.generation == "g2":
            payload["instructions"] = None
        if fork_of is not None:
            payload["forked_from_id"] = fork_of.session_id
        if subagent_of is not None:
            payload["source"] = {"subagent": {"thread_spawn": {"parent_thread_id": subagent_of.session_id, "depth": 1}}}
        s.lines.append({"timestamp": stamp(s.clock.now), "type": "session_meta", "payload": payload})

    def _context(self, s: CodexSession) -> None:
        t = s.clock.tick()
        if s.generation == "g3":
            s.lines.append({"timestamp": t, "type": "response_item",
                            "payload": self._message("developer", PERMISSIONS)})
            s.lines.append({"timestamp": t, "type": "response_item",
                            "payload": self._message("user", AGENTS_MD.format(cwd=s.cwd))})
        else:
            s.lines.append({"timestamp": t, "type": "response_item", "payload": self._message("user", LEGACY_AGENTS_MD)})
        s.lines.append({"timestamp": t, "type": "response_item",
                        "payload": self._message("user", ENVIRONMENT.format(cwd=s.cwd))})

    @staticmethod
    def _message(role: str, text: str, kind: str = "input_text") -> dict:
        return {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}

    def _expect(self, s: CodexSession, text: str) -> None:
        self.tree.expected.append(AgentMessage("codex", s.session_id, text.strip(), str(s.path)))

    def turn(self, s: CodexSession, text: str | None = None, ide: bool = False, typed: bool = True) -> list[dict]:
        """Append one user turn to `s` (not written); returns its lines."""
        first = len(s.lines)
        text = text or self._sentence()
        said = IDE_WRAPPER.format(text=text) if ide else text
        t = s.clock.tick()
        s.lines.append({"timestamp": t, "type": "response_item", "payload": self._message("user", said)})
        event = {"type": "user_message", "message": said, "images": [], "local_images": []}
        if s.generation == "g2":
            event["kind"] = "plain"
        s.lines.append({"timestamp": t, "type": "event_msg", "payload": event})
        if typed:
            self._expect(s, text)
        model = "gpt-5-codex" if s.generation == "g2" else self.rng.choice(["gpt-5.3-codex", "gpt-5.4"])
        s.lines.append({"timestamp": t, "type": "turn_context",
                        "payload": {"cwd": s.cwd, "approval_policy": "on-request", "model": model, "effort": "medium",
                                    "summary": "auto", "sandbox_policy": {"type": "workspace-write"}}})
        if s.generation == "g3":
            s.lines.append({"timestamp": t, "type": "event_msg", "payload": {"type": "task_started", "turn_id": "t"}})
            if self.rng.random() < 0.3:
                shell = "<user_shell_command>\n<command>git status</command>\n<result>clean</result>\n</user_shell_command>"
                s.lines.append({"timestamp": s.clock.tick(), "type": "response_item",
                                "payload": self._message("user", shell)})
        t = s.clock.tick()
        s.lines.append({"timestamp": t, "type": "response_item",
                        "payload": {"type": "reasoning", "summary": [{"type": "summary_text", "text": "**Planning**"}],
                                    "content": None, "encrypted_content": "gAAAAA" + "x" * 40}})
        call = f"call_{self.rng.getrandbits(40):x}"
        s.lines.append({"timestamp": t, "type": "response_item",
                        "payload": {"type": "function_call", "name": "shell", "call_id": call,
                                    "arguments": json.dumps({"command": ["bash", "-lc", "pytest -q"]})}})
        s.lines.append({"timestamp": s.clock.tick(), "type": "response_item",
                        "payload": {"type": "function_call_output", "call_id": call, "output": "." * self.output_bytes}})
        answer = self._sentence(14)
        t = s.clock.tick()
        s.lines.append({"timestamp": t, "type": "event_msg", "payload": {"type": "agent_message", "message": answer}})
        s.lines.append({"timestamp": t, "type": "response_item", "payload": self._message("assistant", answer, "output_text")})
        self._token_count(s)
        if s.generation == "g3":
            s.lines.append({"timestamp": t, "type": "event_msg", "payload": {"type": "task_complete", "turn_id": "t"}})
        return s.lines[first:]

    def _token_count(self, s: CodexSession) -> None:
        fresh = self.rng.randint(2000, 9000)
        cached = self.rng.randint(0, fresh)
        output = self.rng.randint(50, 900)
        reasoning = self.rng.randint(0, output)
        last = {"input_tokens": fresh, "cached_input_tokens": cached, "output_tokens": output,
                "reasoning_output_tokens": reasoning, "total_tokens": fresh + output}
        for key, value in last.items():
            s.totals[key] += value
        info = {"total_token_usage": dict(s.totals), "last_token_usage": last, "model_context_window": 272000}
        limits = {"primary": {"used_percent": self.rng.uniform(0, 90), "window_minutes": 300, "resets_at": 1767229200},
                  "secondary": {"used_percent": self.rng.uniform(0, 90), "window_minutes": 10080, "resets_at": 1767830400}}
        s.lines.append({"timestamp": s.clock.tick(), "type": "event_msg",
                        "payload": {"type": "token_count", "info": info,
                                    "rate_limits": limits if s.generation == "g3" else None}})
        if s.generation == "g3" and self.rng.random() < 0.5:
            # the same totals again, only the rate limits moved (FORMAT-NOTES.md 1.7, trap 1)
            limits = {**limits, "primary": {**limits["primary"], "used_percent": limits["primary"]["used_percent"] + 1}}
            s.lines.append({"timestamp": s.clock.tick(), "type": "event_msg",
                            "payload": {"type": "token_count", "info": info, "rate_limits": limits}})

    def write(self, s: CodexSession) -> None:
        s.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(_line(v) + "\n" for v in s.lines).encode()
        s.path.write_bytes(data)
        if s.path not in self.tree.files:
            self.tree.files.append(s.path)
        self.tree.bytes_written += len(data)

    def append(self, s: CodexSession, prompts: list[str]) -> None:
        """Resume `s`: its new turns are appended to the same file, as Codex does."""
        added = []
        for text in prompts:
            added += self.turn(s, text)
        with open(s.path, "a", encoding="utf-8") as fh:
            fh.write("".join(_line(v) + "\n" for v in added))

    def write_tree(self, sessions: int = 6, prompts: int = 4) -> AgentTree:
        """Sessions of every generation, an IDE one, a fork and a sub-agent of a 2026 session."""
        kinds = ["g1", "g2", "g3"]
        made = []
        for i in range(sessions):
            made.append(self.session(kinds[i % 3], prompts=prompts, ide=(i % 3 == 1 and i % 2 == 1)))
        g3 = next((m for m in made if m.generation == "g3"), None)
        if g3 is not None:
            self.session("g3", prompts=2, fork_of=g3)
            self.session("g3", prompts=1, subagent_of=g3)
        return self.tree


@dataclass
class GeminiSession:
    session_id: str
    path: Path
    generation: str
    clock: _Clock
    messages: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


class GeminiGenerator(_Generator):
    """Writes sessions into a folder shaped like `~/.gemini/tmp` (`<project>/chats/session-*.json[l]`)."""

    START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

    @property
    def tmp(self) -> Path:
        return self.root

    def _id(self) -> str:
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def session(self, generation: str = "jsonl", prompts: int = 4, rewind: bool = False) -> GeminiSession:
        sid = self._id()
        begin = self.start + timedelta(hours=self.rng.uniform(0, 24 * 30))
        project = f"/home/dev/work/{self.rng.choice(['api', 'web', 'infra'])}"
        digest = hashlib.sha256(project.encode()).hexdigest()
        folder = self.tmp / (digest if generation.startswith("json-") or generation == "json" else project.rsplit("/", 1)[-1])
        suffix = ".jsonl" if generation == "jsonl" else ".json"
        path = folder / "chats" / f"session-{begin.strftime('%Y-%m-%dT%H-%M')}-{sid[:8]}{suffix}"
        s = GeminiSession(sid, path, generation, _Clock(self.rng, begin),
                          meta={"sessionId": sid, "projectHash": digest, "startTime": stamp(begin),
                                "lastUpdated": stamp(begin), "kind": "main"})
        self.tree.sessions.add(sid)
        records: list[dict] = [dict(s.meta)]
        records += self._notice(s, "info", "Empty GEMINI.md created. Now analyzing the project to populate it.")
        records += self._slash(s)
        for i in range(prompts):
            records += self.turn(s)
            if rewind and i == 0:
                records += self._rewound(s)
        if generation == "jsonl":
            self._write_lines(s, records)
        else:
            self._write_document(s)
        self.made.append(s)
        return s

    def _content(self, s: GeminiSession, text: str):
        return text if s.generation == "json-v0.2" else [{"text": text}]

    def _add(self, s: GeminiSession, message: dict) -> list[dict]:
        """Record a message (or its new version) and return the lines a `.jsonl` log gets for it."""
        for i, held in enumerate(s.messages):
            if held["id"] == message["id"]:
                s.messages[i] = message
                break
        else:
            s.messages.append(message)
        s.meta["lastUpdated"] = message["timestamp"]
        return [message, {"$set": {"lastUpdated": message["timestamp"]}}]

    def _notice(self, s: GeminiSession, kind: str, text: str) -> list[dict]:
        return self._add(s, {"id": self._id(), "timestamp": s.clock.tick(), "type": kind, "content": text})

    def _slash(self, s: GeminiSession) -> list[dict]:
        return self._add(s, {"id": self._id(), "timestamp": s.clock.tick(), "type": "user",
                             "content": self._content(s, "You are an AI agent that analyses the project ..."),
                             "displayContent": [{"text": "/init"}]})

    def _expect(self, s: GeminiSession, text: str) -> None:
        self.tree.expected.append(AgentMessage("gemini_cli", s.session_id, text, str(s.path)))

    def turn(self, s: GeminiSession, text: str | None = None, expected: bool = True) -> list[dict]:
        text = text or self._sentence()
        lines = self._add(s, {"id": self._id(), "timestamp": s.clock.tick(), "type": "user",
                              "content": self._content(s, text)})
        if expected:
            self._expect(s, text)
        reply = {"id": self._id(), "timestamp": s.clock.tick(), "type": "gemini", "content": "",
                 "model": self.rng.choice(["gemini-2.5-pro", "gemini-3-flash-preview"]),
                 "thoughts": [{"subject": "Planning", "description": "Reading files", "timestamp": s.clock.tick()}]}
        lines += self._add(s, dict(reply))
        call_id = f"read_file-{self.rng.getrandbits(32):x}"
        reply["toolCalls"] = [{"id": call_id, "name": "read_file", "args": {"absolute_path": "/w/README.md"},
                               "result": [{"functionResponse": {"id": call_id, "name": "read_file",
                                                                "response": {"output": "r" * self.output_bytes}}}],
                               "status": "success", "timestamp": s.clock.tick()}]
        fresh = self.rng.randint(3000, 20000)
        reply["tokens"] = {"input": fresh, "output": self.rng.randint(20, 600), "cached": self.rng.randint(0, fresh),
                           "thoughts": self.rng.randint(0, 400), "tool": 0}
        reply["tokens"]["total"] = reply["tokens"]["input"] + reply["tokens"]["output"] + reply["tokens"]["thoughts"]
        reply["content"] = self._sentence(14)
        lines += self._add(s, dict(reply))  # the same id again, now with its tool calls and tokens
        if s.generation == "jsonl" and self.rng.random() < 0.5:
            # v0.44 on: the tool's response is recorded as a user message
            lines += self._add(s, {"id": self._id(), "timestamp": s.clock.tick(), "type": "user",
                                   "content": [{"text": "System: Please continue."}],
                                   "displayContent": [{"functionResponse": {"id": call_id, "name": "read_file",
                                                                            "response": {"output": "ok"}}}]})
        return lines

    def _rewound(self, s: GeminiSession) -> list[dict]:
        """A prompt and its answer, then `$rewindTo` that prompt: both leave the session."""
        before = len(s.messages)
        lines = self.turn(s, "a draft the person took back", expected=False)
        target = s.messages[before]["id"]
        del s.messages[before:]
        return lines + [{"$rewindTo": target}]

    def _write_lines(self, s: GeminiSession, records: list[dict]) -> None:
        s.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(_line(r) + "\n" for r in records).encode()
        s.path.write_bytes(data)
        self._wrote(s, len(data))

    def _write_document(self, s: GeminiSession) -> None:
        s.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({**s.meta, "messages": s.messages}, ensure_ascii=False, indent=2).encode()
        s.path.write_bytes(data)
        self._wrote(s, len(data))

    def _wrote(self, s: GeminiSession, size: int) -> None:
        if s.path not in self.tree.files:
            self.tree.files.append(s.path)
        self.tree.bytes_written += size

    def append(self, s: GeminiSession, prompts: list[str]) -> None:
        """Continue `s`: a `.jsonl` log gets new lines, a `.json` document is rewritten whole."""
        lines: list[dict] = []
        for text in prompts:
            lines += self.turn(s, text)
        if s.generation == "jsonl":
            with open(s.path, "a", encoding="utf-8") as fh:
                fh.write("".join(_line(r) + "\n" for r in lines))
        else:
            self._write_document(s)

    def write_tree(self, sessions: int = 6, prompts: int = 4) -> AgentTree:
        kinds = ["jsonl", "json", "json-v0.2"]
        for i in range(sessions):
            self.session(kinds[i % 3], prompts=prompts, rewind=(kinds[i % 3] == "jsonl" and i % 2 == 0))
        return self.tree
