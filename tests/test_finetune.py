"""Contrastive fine-tuning: data checks, the split, the pairs, the retrieval figure against a
hand-written loop, saving as a text model in the catalogue (and removing it), the CLI; logic on
a tiny random BERT, one slow test on MiniLM and the news articles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embedlab.analysis.downstream import (
    LabelledData,
    builtin_data,
    labelled_data,
    upload_data,
)
from embedlab.backends import BackendKind, backend_names, get_text_encoder
from embedlab.errors import InputError, UnknownBackendError
from embedlab.training.finetune import (
    FineTuneResult,
    FineTuneSettings,
    default_name,
    finetune,
    mnrl_pairs,
    model_name,
    same_label_retrieval,
    saved_result,
    split_rows,
)
from tests.conftest import restart_catalogue

TOPICS = {
    "sport": ["the team won the football match", "a goal in the last minute of the game", "the striker scored twice",
              "the coach praised the players", "fans cheered in the stadium", "the league title race tightens"],
    "money": ["the bank raised interest rates", "shares fell on the stock market", "inflation hit a new high",
              "the central bank cut rates", "investors sold their bonds", "the currency weakened against the dollar"],
    "weather": ["heavy rain flooded the valley", "a storm brought strong winds", "snow closed the mountain roads",
                "the heatwave broke records", "fog delayed flights this morning", "sunny skies are expected tomorrow"],
}


def labelled(texts: tuple[str, ...], labels: tuple[str, ...], name: str) -> LabelledData:
    """Texts and labels as the shared labelled-data type (as a built-in dataset would be)."""
    return LabelledData(name, "built-in", texts, labels, description=name)


def toy_data(per_label: int = 12) -> LabelledData:
    """Three labels, ``per_label`` texts each (topic sentences with a numbered suffix)."""
    texts, labels = [], []
    for label, sentences in TOPICS.items():
        for i in range(per_label):
            texts.append(f"{sentences[i % len(sentences)]} (report {i})")
            labels.append(label)
    return labelled(tuple(texts), tuple(labels), "toy")


TINY = FineTuneSettings(loss="batch-hard-triplet", epochs=1, max_rows=1000, batch_size=8, max_seq_length=32, seed=3)


# -- data ----------------------------------------------------------------------------------------


def test_a_dataset_without_labels_or_a_bad_label_column_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'lee' has no labels"):
        builtin_data("lee")
    with pytest.raises(InputError, match="Unknown dataset 'nope'|neither a built-in"):
        labelled_data("nope")
    table = tmp_path / "mine.csv"
    table.write_text("sentence,topic\nthe match was won,sport\nrates went up,money\n", encoding="utf-8")
    with pytest.raises(InputError, match="no label column 'party'.*'sentence', 'topic'"):
        labelled_data(str(table), label_column="party")
    with pytest.raises(InputError, match="say which column holds the labels"):
        labelled_data(str(table))
    with pytest.raises(InputError, match="Name the label column of 'mine.csv'"):
        upload_data(table.read_bytes(), "mine.csv", None)
    with pytest.raises(InputError, match="both 'sentence'"):
        labelled_data(str(table), text_column="sentence", label_column="sentence")
    with pytest.raises(InputError, match="go with a file"):
        labelled_data("news", label_column="outlet")
    data = labelled_data(str(table), label_column="topic", max_rows=None)
    assert data.texts == ("the match was won", "rates went up") and data.labels == ("sport", "money")


def test_rows_without_a_label_are_left_out_and_one_label_is_not_enough() -> None:
    data = upload_data(b"text,label\na,x\nb,\n,y\nd,x\n", "t.csv", "label", text_column="text", max_rows=None)
    assert data.texts == ("a", "d") and data.labels == ("x", "x")
    one_label = labelled(tuple(f"text {i}" for i in range(30)), ("x",) * 30, "single")
    with pytest.raises(InputError, match="at least two labels"):
        split_rows(one_label, FineTuneSettings())


def test_the_split_is_seeded_stratified_and_drops_rare_labels() -> None:
    texts = tuple(f"text {i}" for i in range(205))
    labels = tuple(["a"] * 100 + ["b"] * 100 + ["rare"] * 5)
    data = labelled(texts, labels, "t")
    split = split_rows(data, FineTuneSettings(max_rows=100, held_out=0.2, seed=1))
    assert split.dropped == {"rare": 5}
    assert len(split.train) == 80 and len(split.held_out) == 20
    assert not set(split.train) & set(split.held_out)
    held = [labels[i] for i in split.held_out]
    assert held.count("a") == held.count("b") == 10  # stratified
    assert split == split_rows(data, FineTuneSettings(max_rows=100, held_out=0.2, seed=1))
    assert split != split_rows(data, FineTuneSettings(max_rows=100, held_out=0.2, seed=2))


def test_mnrl_pairs_join_two_different_texts_of_one_label() -> None:
    data = toy_data(4)
    anchors, positives = mnrl_pairs(list(data.texts), list(data.labels), seed=0)
    label_of = dict(zip(data.texts, data.labels, strict=True))
    assert anchors == list(data.texts)
    assert all(a != p and label_of[a] == label_of[p] for a, p in zip(anchors, positives, strict=True))
    assert positives == mnrl_pairs(list(data.texts), list(data.labels), seed=0)[1]


def test_same_label_retrieval_equals_a_loop_written_by_hand() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 8))
    labels = [str(i % 4) for i in range(40)]
    precision, mrr = same_label_retrieval(vectors, labels, k=10)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    precisions, reciprocal = [], []
    for i in range(40):
        others = sorted((j for j in range(40) if j != i), key=lambda j: -float(unit[i] @ unit[j]))
        same = [labels[j] == labels[i] for j in others]
        precisions.append(sum(same[:10]) / 10)
        reciprocal.append(1 / (same.index(True) + 1))
    assert precision == pytest.approx(np.mean(precisions))
    assert mrr == pytest.approx(np.mean(reciprocal))
    perfect = np.repeat(np.eye(4), 10, axis=0)  # each label its own direction
    assert same_label_retrieval(perfect, [str(i // 10) for i in range(40)], k=5) == (1.0, 1.0)


def test_settings_and_names_are_checked() -> None:
    with pytest.raises(InputError, match="Unknown loss 'hinge'"):
        FineTuneSettings(loss="hinge").validate()
    with pytest.raises(InputError, match="even batch size"):
        FineTuneSettings(loss="batch-hard-triplet", batch_size=15).validate()
    with pytest.raises(InputError, match="epochs must be between"):
        FineTuneSettings(epochs=0).validate()
    assert model_name("mine") == model_name("finetuned:mine") == "finetuned:mine"
    for bad in ("", "Big", "a b", "../x", "x" * 49, "-x"):
        with pytest.raises(InputError, match="not allowed"):
            model_name(bad)
    assert default_name("news", FineTuneSettings()) == "finetuned:news-triplet-e1-r600-s0"


def test_only_a_sentence_transformers_model_can_be_fine_tuned(hashing_encoder) -> None:
    with pytest.raises(InputError, match="'hashing-test' is not a sentence-transformers model"):
        finetune(toy_data(), TINY, base="hashing-test")
    with pytest.raises(UnknownBackendError):
        finetune(toy_data(), TINY, base="no-such-model")


# -- training on the tiny model -----------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["batch-hard-triplet", "mnrl"])
def test_a_fine_tuned_model_is_saved_listed_reloaded_and_removed(tiny_base: str, embedlab_home: Path, loss: str) -> None:
    steps: list[tuple[int, int]] = []
    stages: list[str] = []
    settings = FineTuneSettings(loss=loss, epochs=1, max_rows=1000, batch_size=8, max_seq_length=32, seed=3)
    result = finetune(toy_data(15), settings, base=tiny_base, out="toy", progress=lambda d, t: steps.append((d, t)),
                      stage=stages.append)
    assert result.name == "finetuned:toy" and result.base == "tiny-st"
    assert result.train_rows == 36 and result.held_out_rows == 9 and result.labels == ("money", "sport", "weather")
    assert steps and steps[-1][0] == steps[-1][1] == result.steps
    assert any("training" in s for s in stages) and any("saving" in s for s in stages)
    assert len(result.map_before) == len(result.map_after) == len(result.map_labels) == 9
    assert result.before.folds == 3  # 3 held-out rows per label

    # the held-out figures are those of the two models' own vectors, before and after
    held = list(result.map_texts)
    assert result.before.precision_at_10 == pytest.approx(same_label_retrieval(get_text_encoder("tiny-st").encode(held),
                                                                               result.map_labels)[0])
    assert result.after.precision_at_10 == pytest.approx(same_label_retrieval(get_text_encoder("finetuned:toy").encode(held),
                                                                              result.map_labels)[0])

    # a text model now, listed, with its note; after a restart it loads from disk and encodes the same
    assert "finetuned:toy" in backend_names(BackendKind.TEXT)
    after = get_text_encoder("finetuned:toy").encode(held)
    base_vectors = get_text_encoder("tiny-st").encode(held)
    assert not np.allclose(after, base_vectors, atol=1e-4)
    folder = embedlab_home / "wordvectors"
    assert (folder / "finetuned_toy.st" / "model.safetensors").is_file()
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("**/*.bin"))
    fresh = restart_catalogue()
    assert fresh.kind("finetuned:toy") == BackendKind.TEXT and fresh.origin("finetuned:toy") == "trained"
    reloaded = get_text_encoder("finetuned:toy").encode(held)
    np.testing.assert_allclose(reloaded, after, atol=1e-5)
    kept = saved_result("finetuned:toy")
    assert kept == FineTuneResult.from_dict(json.loads(json.dumps(result.as_dict())))
    assert kept is not None and kept.after == result.after and kept.settings == settings

    fresh.remove("finetuned:toy")
    assert "finetuned:toy" not in backend_names()
    assert not (folder / "finetuned_toy.st").exists() and not (folder / "finetuned_toy.json").exists()
    assert "finetuned:toy" not in restart_catalogue().names()


def test_the_cli_trains_reports_json_and_deletes(tiny_base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from embedlab.cli import main

    table = tmp_path / "toy.csv"
    data = toy_data(15)
    table.write_text("sentence,topic\n" + "".join(f"{t},{lab}\n" for t, lab in zip(data.texts, data.labels, strict=True)),
                     encoding="utf-8")
    assert main(["finetune", str(table), "--base", tiny_base, "--loss", "batch-hard-triplet", "--batch-size", "8",
                 "--max-seq-length", "32", "--seed", "3", "--label-column", "topic", "--out", "toy-cli", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["model"] == "finetuned:toy-cli" and document["loss"] == "batch-hard-triplet" and document["seed"] == 3
    assert set(document["before"]) == set(document["after"]) == {"accuracy", "macro_f1", "precision_at_10", "mrr"}
    assert document["train_rows"] == 36 and document["held_out_rows"] == 9
    kept = saved_result("finetuned:toy-cli")  # what the command printed is what it saved, and what the vectors give
    assert kept is not None and document["after"]["precision_at_10"] == pytest.approx(kept.after.precision_at_10)
    held_vectors = get_text_encoder("finetuned:toy-cli").encode(list(kept.map_texts))
    assert document["after"]["precision_at_10"] == pytest.approx(same_label_retrieval(held_vectors, kept.map_labels)[0])
    assert main(["models", "--json"]) == 0
    assert {"name": "finetuned:toy-cli", "kind": "text"}.items() <= next(
        row for row in json.loads(capsys.readouterr().out) if row["name"] == "finetuned:toy-cli").items()
    assert main(["finetune", str(table), "--base", tiny_base, "--label-column", "party"]) == 2
    assert "no label column 'party'" in capsys.readouterr().err
    assert main(["finetune", "lee"]) == 2
    assert "'lee' has no labels" in capsys.readouterr().err
    assert main(["delete-model", "finetuned:toy-cli", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": "finetuned:toy-cli"}
    assert "finetuned:toy-cli" not in backend_names()


# -- the real model ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_minilm_fine_tuned_on_news_retrieves_same_outlet_articles_better(embedlab_home: Path) -> None:
    """200 news articles (160 to train, 40 held out), batch-hard triplet, 1 epoch, 32 tokens: the saved model
    loads after a restart, differs from MiniLM, and its held-out same-outlet retrieval, computed
    here with numpy from both models' vectors, beats MiniLM's."""
    settings = FineTuneSettings(loss="batch-hard-triplet", epochs=1, max_rows=200, batch_size=16, max_seq_length=32,
                                learning_rate=5e-5, seed=0)
    result = finetune(builtin_data("news", max_rows=None), settings, out="news-test")
    restart_catalogue()
    held, labels = list(result.map_texts), np.asarray(result.map_labels)
    assert all(len(text) <= 120 for text in held)
    data = builtin_data("news", max_rows=None)
    full = {t[:119] + "…" if len(t) > 120 else t: t for t in data.texts}
    texts = [full[t] for t in held]
    before = get_text_encoder("minilm").encode(texts)
    after = get_text_encoder("finetuned:news-test").encode(texts)
    assert not np.allclose(before, after, atol=1e-3)

    def precision_at_10(vectors: np.ndarray) -> float:
        scores = vectors @ vectors.T
        np.fill_diagonal(scores, -2.0)
        top = np.argsort(-scores, axis=1)[:, :10]
        return float((labels[top] == labels[:, None]).mean())

    assert precision_at_10(after) > precision_at_10(before)
    assert result.after.precision_at_10 == pytest.approx(precision_at_10(after), abs=1e-6)
    assert result.before.precision_at_10 == pytest.approx(precision_at_10(before), abs=1e-6)


# -- the page ----------------------------------------------------------------------------------------


def test_the_page_shows_a_result_from_its_link_and_removes_the_model(tiny_base: str) -> None:
    from streamlit.testing.v1 import AppTest

    result = finetune(toy_data(15), TINY, base=tiny_base, out="toy-page")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "finetune.py"), default_timeout=120)
    at.query_params.update({"ft_model": "finetuned:toy-page", "ft_loss": "batch-hard-triplet", "ft_rows": "300"})
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="ft_loss").value == "batch-hard-triplet" and at.number_input(key="ft_rows").value == 300
    scores = at.dataframe[0].value
    assert scores["precision@10"].tolist()[:2] == [round(result.before.precision_at_10, 4), round(result.after.precision_at_10, 4)]
    assert scores["accuracy"].tolist()[2] == pytest.approx(result.after.accuracy - result.before.accuracy, abs=2e-4)
    charts = [c for c in at.get("plotly_chart")]
    assert len(charts) >= 2
    assert "finetuned:toy-page" in at.dataframe[1].value["name"].tolist()
    assert at.query_params["ft_model"] == ["finetuned:toy-page"] or at.query_params["ft_model"] == "finetuned:toy-page"

    at.selectbox(key="ft_loss").set_value("mnrl").run()
    at.number_input(key="ft_seed").set_value(7).run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["precision@10"].tolist()[0] == round(result.before.precision_at_10, 4)
    assert at.query_params["ft_seed"] in ("7", ["7"])

    at.checkbox(key="ft_remove_sure").check().run()
    at.button(key="ft_remove").click().run()
    assert not at.exception, at.exception
    assert any("Removed finetuned:toy" in s.value.replace("\\", "") for s in at.success)
    assert "finetuned:toy-page" not in backend_names()

    gone = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "finetune.py"), default_timeout=120)
    gone.query_params["ft_model"] = "finetuned:toy-page"
    gone.run()
    assert any("not on this server" in w.value for w in gone.warning)


def test_the_page_asks_for_a_file_before_training_on_an_upload(tiny_base: str) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "finetune.py"), default_timeout=120)
    at.query_params["ft_dataset"] = "upload"
    at.run()
    assert not at.exception, at.exception
    at.button(key="ft_train").click().run()
    assert any("Upload a labelled file first" in e.value for e in at.error)


def test_the_upload_and_its_columns_come_back_from_the_link() -> None:
    """Issue 22 defect 2: an uploaded labelled file vanished on reload (and its columns with it); it is kept by
    content, its id and the chosen columns are in the link, and a link from another server asks for it again."""
    from streamlit.testing.v1 import AppTest

    from embedlab.links import keep_file

    rows = "speech,party,year\n" + "\n".join(f"speech {i} on topic {i % 4},p{i % 2},{2000 + i}" for i in range(30)) + "\n"
    page = str(Path(__file__).resolve().parents[1] / "pages" / "finetune.py")
    at = AppTest.from_file(page, default_timeout=120)
    at.query_params.update({"ft_dataset": "upload", "ft_file": keep_file(rows.encode(), "speeches.csv"), "ft_label_col": "year"})
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="ft_text_col").value == "speech" and at.selectbox(key="ft_label_col").value == "year"
    assert any("speeches.csv" in c.value.replace("\\", "") for c in at.caption)
    at.selectbox(key="ft_label_col").set_value("party").run()
    assert at.query_params["ft_label_col"] == "party" and at.query_params["ft_file"]

    elsewhere = AppTest.from_file(page, default_timeout=120)
    elsewhere.query_params.update({"ft_dataset": "upload", "ft_file": "0" * 32})
    elsewhere.run()
    assert not elsewhere.exception
    assert any("not on this server" in w.value and "upload it again" in w.value for w in elsewhere.warning)
