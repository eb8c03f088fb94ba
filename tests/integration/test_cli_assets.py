"""`zeroparty assets …` as an operator uses it: the name printed alone, idempotent adds, listings
that read at 80 columns, exit 1 naming the problem, and no removal under a published definition
unless forced."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import run
from tests.support.definitions import SAMPLE
from tests.support.images import LOGO_SVG, image_bytes
from zeroparty.domain.assets import MAX_RASTER_BYTES, name_for


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / "files" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return str(path)


def test_an_image_is_stored_once_under_its_hash_and_listed(tmp_path: Path) -> None:
    png = image_bytes("png", 12, 8)
    expected = name_for(png, "png").reference
    first = run(tmp_path, "assets", "add", _file(tmp_path, "photo.jpg", png))  # the extension is not trusted
    assert first.returncode == 0, first.stderr
    assert first.stdout == expected + "\n"
    assert "Stored photo.jpg (PNG image, 12×8," in first.stderr and f"/assets/{expected[6:]}" in first.stderr
    again = run(tmp_path, "assets", "add", _file(tmp_path, "copy.png", png), "--json")
    assert again.returncode == 0, again.stderr
    told = json.loads(again.stdout)
    assert told["name"] == expected and told["created"] is False and told["original_name"] == "photo.jpg"
    assert (told["media_type"], told["width"], told["height"], told["bytes"]) == ("image/png", 12, 8, len(png))
    run(tmp_path, "assets", "add", _file(tmp_path, "logo.svg", LOGO_SVG))
    listed = run(tmp_path, "assets", "list", extra={"COLUMNS": "80"})
    assert listed.returncode == 0, listed.stderr
    assert expected in listed.stdout and "12×8" in listed.stdout and "scalable" in listed.stdout
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80, listed.stdout
    rows = json.loads(run(tmp_path, "assets", "list", "--json").stdout)
    assert [r["media_type"] for r in rows] == ["image/svg+xml", "image/png"]  # newest first


def test_an_svg_is_stored_cleaned_and_the_removals_are_told(tmp_path: Path) -> None:
    hostile = LOGO_SVG.replace(b"<title>", b"<script>alert(1)</script><title>")
    done = run(tmp_path, "assets", "add", _file(tmp_path, "logo.svg", hostile), "--json")
    assert done.returncode == 0, done.stderr
    told = json.loads(done.stdout)
    assert told["removed"] == ["1 × <script> element"] and told["name"].endswith(".svg")
    text = run(tmp_path, "assets", "add", _file(tmp_path, "logo.svg", hostile))
    assert "Removed from the SVG to make it safe: 1 × <script> element" in text.stderr


def test_what_is_no_storable_image_exits_1_naming_the_file_and_the_problem(tmp_path: Path) -> None:
    xxe = b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'
    cases = [
        ("notes.png", b"plain text, named like an image", "is not a PNG, JPEG, WebP or SVG image"),
        ("huge.png", image_bytes("png") + b"\x00" * MAX_RASTER_BYTES, "is larger than 5 MB"),
        ("bad.svg", xxe, "SVG declares XML entities or refers to external ones"),
        ("cut.jpg", image_bytes("jpg")[:12], "JPEG"),
    ]
    for name, data, problem in cases:
        path = _file(tmp_path, name, data)
        done = run(tmp_path, "assets", "add", path)
        assert done.returncode == 1 and f"error: {path}: " in done.stderr and problem in done.stderr, done.stderr
        assert done.stdout == ""
    missing = run(tmp_path, "assets", "add", str(tmp_path / "absent.png"))
    assert missing.returncode == 1 and "absent.png: cannot be read (No such file or directory)" in missing.stderr
    assert json.loads(run(tmp_path, "assets", "list", "--json").stdout) == []


def test_an_asset_a_published_definition_uses_is_removed_only_with_force(tmp_path: Path) -> None:
    used = run(tmp_path, "assets", "add", _file(tmp_path, "hero.webp", image_bytes("webp"))).stdout.strip()
    unused = run(tmp_path, "assets", "add", _file(tmp_path, "logo.svg", LOGO_SVG)).stdout.strip()
    definition = (
        SAMPLE.read_text()
        .replace("description: A gentle cleanser,", f"description: '![routine]({used}) A gentle cleanser,")
        .replace("rich moisturiser.", "rich moisturiser.'")
    )
    imported = run(tmp_path, "experiences", "import", _file(tmp_path, "quiz.yaml", definition.encode()))
    assert imported.returncode == 0, imported.stderr
    refused = run(tmp_path, "assets", "remove", used)
    assert refused.returncode == 1, refused.stdout
    assert "is used by published definitions (skin-quiz v1); --force removes it all the same" in refused.stderr
    assert run(tmp_path, "assets", "remove", unused).returncode == 0
    forced = run(tmp_path, "assets", "remove", used.removeprefix("asset:"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "still named by skin-quiz v1" in forced.stderr
    assert json.loads(run(tmp_path, "assets", "list", "--json").stdout) == []
    gone = run(tmp_path, "assets", "remove", used)
    assert gone.returncode == 1 and "no asset named" in gone.stderr
    assert "is not an asset name" in run(tmp_path, "assets", "remove", "logo.svg").stderr


def test_a_definition_naming_an_image_not_stored_is_refused_where_it_names_it(tmp_path: Path) -> None:
    png = image_bytes("png", 4, 4)
    reference = name_for(png, "png").reference
    text = SAMPLE.read_text().replace(
        "description: Four quick questions", f'description: "![Jars]({reference}) Four quick questions'
    )
    text = text.replace("then a routine picked for your skin.", 'then a routine picked for your skin."', 1)
    definition = tmp_path / "files" / "quiz.yaml"
    definition.parent.mkdir(exist_ok=True)
    definition.write_text(text)
    for command in ("import", "validate"):  # import makes the store; validate without one cannot check
        refused = run(tmp_path, "experiences", command, str(definition))
        assert refused.returncode == 1, refused.stdout
        assert f"description: {reference} is not stored; add the image with `zeroparty assets add FILE`" in (
            refused.stdout + refused.stderr
        )
    assert run(tmp_path, "assets", "add", _file(tmp_path, "jars.png", png)).returncode == 0
    for command in ("validate", "import"):
        accepted = run(tmp_path, "experiences", command, str(definition))
        assert accepted.returncode == 0, accepted.stdout + accepted.stderr
