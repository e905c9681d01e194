"""What users read (artifacts in the Prefect UI, terminal output) says its status in words: an emoji renders as a
box in a browser or terminal without an emoji font. The code that writes it holds none."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The emoji blocks, and the emoji-presentation symbols of the BMP that crept in before (✅ ❌ ⏳ ✋ ⛔ ⚠ ⭐ ✨).
BMP_EMOJI = set("\u2705\u274c\u23f3\u270b\u26d4\u26a0\u2b50\u2728\u2757\u2753")


def is_emoji(char: str) -> bool:
    return 0x1F000 <= ord(char) <= 0x1FAFF or char in BMP_EMOJI


def test_no_emoji_in_what_erpops_writes_for_users() -> None:
    found = []
    for package in ("erpops", "flows", "tasks", "erp_models", "expectations", "loadtests", "infra"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if any(is_emoji(c) for c in line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
