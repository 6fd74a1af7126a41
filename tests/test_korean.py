"""Korean that reads as if a Korean engineer wrote it: particles that agree with the value
before them, lines that break between 어절 only, in the catalog and in the rendered PDFs."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from reporter.hangul import WORD_JOINER, attach, keep_words, pair_of, particle, sound
from reporter.i18n import messages, split_field

from .conftest import ROOT, Rendered, render_one
from .korean import FORMS, READ, split_words, vocabulary, wrong_particles


@pytest.mark.parametrize(
    ("word", "form", "expected"),
    [
        ("0", "로", "으로"),  # 영
        ("1", "을", "을"),  # 일
        ("1", "으로", "로"),  # 일: ㄹ takes 로
        ("2", "을", "를"),  # 이
        ("3", "이", "이"),  # 삼
        ("4", "은", "는"),  # 사
        ("5", "과", "와"),  # 오
        ("6", "로", "으로"),  # 육
        ("7", "로", "로"),  # 칠
        ("8", "이라면", "이라면"),  # 팔
        ("9", "이며", "며"),  # 구
        ("10", "를", "을"),  # 십
        ("20", "로", "으로"),  # 이십
        ("100", "가", "이"),  # 백
        ("1000", "는", "은"),  # 천
        ("10000", "를", "을"),  # 만
        ("1,604", "를", "를"),  # 천육백사
        ("0.960", "로", "으로"),  # 영점구육영
        ("1.000", "로", "으로"),
        ("0.9711", "로", "로"),  # …일
        ("0.363", "로", "으로"),  # …삼
        ("1.5e-05", "를", "를"),  # …오
        ("33%", "를", "를"),  # 퍼센트
        ("에포크 10", "를", "을"),
        ("에포크", "을", "를"),
        ("스텝", "가", "이"),
        ("평가 3회", "이", "가"),
        ("파일", "으로", "로"),  # ㄹ
        ("체크포인트(val_loss = 0.2857)", "을", "를"),  # the word before the brackets
        ("출력(Epoch 1/30)", "와", "과"),
    ],
)
def test_particle_agrees_with_the_word_read_aloud(word: str, form: str, expected: str) -> None:
    assert particle(word, form) == expected
    assert attach(word, form) == word + expected


def test_an_unreadable_word_gets_the_neutral_form() -> None:
    assert sound("val_loss") is None and sound("—") is None
    assert particle("val_loss", "를") == "을(를)" and particle("eval_wer", "로") == "으로(로)"
    with pytest.raises(ValueError, match="not a 받침-dependent particle"):
        particle("10", "에서")


def test_keep_words_joins_korean_words_and_nothing_else() -> None:
    html = (
        '<html><head><title>학습 보고서</title><style>p { content: "가나" }</style></head>'
        '<body><p class="ko" title="속성 값">에포크 20에서 &lt;b&gt;값을 val_loss 77%(평가</p>'
        f"<td>{'긴경로/' * 12}</td></body></html>"
    )
    out = keep_words(html)
    assert out.replace(WORD_JOINER, "") == html
    head, body = out.split("<body>")
    assert WORD_JOINER not in head and 'title="속성 값"' in body
    wj = WORD_JOINER
    assert f"에{wj}포{wj}크 2{wj}0{wj}에{wj}서" in body
    assert f"&lt;{wj}b{wj}&gt;{wj}값{wj}을" in body  # entities stay whole
    assert " val_loss " in body and f"7{wj}%{wj}({wj}평" in body
    assert "긴경로/긴경로/" in body  # a 48-character path is not a 어절: it may break


def _ko_templates() -> list[tuple[str, str]]:
    return [(key, text.ko) for key, text in messages().entries.items()]


IDENTIFIERS = {  # placeholders that hold names: a noun goes between them and a particle
    "a", "b", "checkpoint", "example", "family", "fast", "figure", "jumpy", "key", "leader",
    "loss", "metric", "metrics", "monitor", "name", "names", "other", "series", "slow",
    "steady", "train", "version", "winner",
}  # fmt: skip
_PARTICLE_AFTER = re.compile(rf"^(?:{'|'.join(FORMS)})")


def test_no_particle_follows_a_placeholder_without_the_helper() -> None:
    problems = []
    for key, ko in _ko_templates():
        parsed = list(string.Formatter().parse(ko))
        for i, (_, name, _, _) in enumerate(parsed):
            if name is None:
                continue
            field, form = split_field(name)
            after = parsed[i + 1][0] if i + 1 < len(parsed) else ""
            if _PARTICLE_AFTER.match(after):
                problems.append(f"{key}: {{{name}}}{after[:4]}")
            if form and (pair_of(form) is None or field in IDENTIFIERS):
                problems.append(f"{key}: {{{name}}} (the helper cannot read a name)")
    assert problems == []


def test_a_particle_after_brackets_agrees_with_the_word_before_them() -> None:
    problems = []
    for key, ko in _ko_templates():
        for m in re.finditer(rf"(\S*)\([^()]*\)({'|'.join(FORMS)})(?![\uac00-\ud7a3])", ko):
            word = m.group(1)
            if not word or word.endswith("}"):
                problems.append(f"{key}: {m.group(0)} (a placeholder before the brackets)")
            elif particle(READ.get(word, word), m.group(2)) != m.group(2):
                problems.append(f"{key}: {m.group(0)}")
    assert problems == []


def test_no_english_words_in_korean_sentences() -> None:
    allowed = {  # identifiers, option names, file names and the terms Korean engineers write so
        "Keras", "EarlyStopping", "Epoch", "Trainer", "patience", "NaN", "GL", "PQ", "UP",
        "Prechelt", "ReLU", "EMA", "CSV", "JSON", "grokking", "double", "descent", "summary.json",
        "findings", "warnings", "unknown_direction", "reporter", "log_history", "step",
        "validation_data", "validation_split", "val_…", "max", "min", "all", "run", "direction",
        "monitor", "labels",
        # frameworks, their files and the keys they write, named as the user sees them
        "Ultralytics", "YOLOv", "Detectron", "MMEngine", "mmcv", "DETR", "DeiT", "COCO", "AP",
        "mAP", "results.csv", "metrics.json", "scalars.json", "log.txt", "best.pt", "fitness",
        "epoch", "iteration", "iter", "val", "val_", "test_", "val_loss", "metric_for_best_model",
        # a formula and the Keras identifiers a user searches for
        "ln", "e", "softmax", "from_logits", "True",
        # file formats and the option that names them
        "PDF", "HTML", "no", "attach", "source",
        "XGBoost", "LightGBM", "early_stopping_rounds", "early_stopping", "best_iteration",
        "W", "B", "wandb", "wandb.log", "fastai", "SaveModelCallback", "EarlyStoppingCallback",
        "valid_loss",
    }  # fmt: skip
    problems = []
    for key, ko in _ko_templates():
        words = re.findall(r"[A-Za-z][A-Za-z_.…]*", re.sub(r"\{[^}]*\}", " ", ko))
        problems += [f"{key}: {w}" for w in words if w not in allowed]
    assert problems == []


def _shipped(tmp_path_factory: pytest.TempPathFactory, name: str) -> Rendered:
    return render_one(ROOT / "histories" / name, tmp_path_factory.mktemp(name.split(".")[0]))


def check_report(rendered: Rendered) -> None:
    s = rendered.summary
    known = vocabulary(s["recommendation"]["text"]["ko"], *(f["text"]["ko"] for f in s["findings"]))
    assert split_words(rendered.text, known) == []
    assert wrong_particles(rendered.text) == []


def test_shipped_reports_keep_korean_words_whole(
    baseline_report: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> None:
    check_report(baseline_report)
    for name in ("1_l2.pkl", "2_l2_batchnorm.pkl"):
        check_report(_shipped(tmp_path_factory, name))


def test_the_checker_finds_what_it_looks_for() -> None:
    broken = "평활화한 val_loss 값은 에\n포크 17 이후\n추천 체크포인트(에포크 19)에서는 0.9651입\n니다.\n"
    assert split_words(broken, {"0.9651입니다."}) == ["에|포크", "0.9651입|니다."]
    wrong = (
        "reporter 0.1.0로 생성, 에포크 10(val_loss = 0.2857)를 남기고 1.000로, eval_wer를, 10을(를)"
    )
    assert wrong_particles(wrong) == [
        "을(를)",
        "0.1.0로",
        "1.000로",
        "10(val_loss = 0.2857)를",
        "eval_wer를",
    ]
    assert wrong_particles("에포크 20에서 0.9711로 0.960으로 체크포인트(val_loss = 1)를") == []


def test_the_index_keeps_words_whole_in_a_browser_too(tmp_path: Path) -> None:
    from reporter.batch.index import write_index

    write_index(tmp_path, "runs", {}, ["a.json"])
    html = (tmp_path / "index.html").read_text("utf-8")
    assert "word-break: keep-all" in html and "&#34;" not in html.split("</style>")[0]
    assert WORD_JOINER not in html


def check_folder(out: Path) -> list[str]:
    """Every PDF under ``out`` (reports and comparisons), checked like the shipped reports."""
    import json

    from .conftest import pdf_text

    problems = []
    pdfs = sorted(out.glob("*/*.pdf"))
    assert pdfs
    for pdf in pdfs:
        facts = json.loads(next(pdf.parent.glob("*.json")).read_text("utf-8"))
        texts = [f["text"]["ko"] for f in facts.get("findings", [])]
        if "recommendation" in facts:
            texts.append(facts["recommendation"]["text"]["ko"])
        text = pdf_text(pdf)
        problems += [f"{pdf.parent.name}: split {s}" for s in split_words(text, vocabulary(*texts))]
        problems += [f"{pdf.parent.name}: particle {p}" for p in wrong_particles(text)]
    return problems


@pytest.mark.shared
@pytest.mark.slow
def test_seed_series_and_their_comparison_keep_words_whole(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reporter.cli import main

    from .conftest import SEED, need, render_cli

    seeds = sorted(str(p) for p in need(SEED).glob("*.json"))
    assert render_cli(seeds, tmp_path).exit_code == 0
    res = CliRunner().invoke(
        main, ["compare", *seeds, "--series", "-o", str(tmp_path), "--name", "series"]
    )
    assert res.exit_code == 0, res.output
    assert check_folder(tmp_path) == []
