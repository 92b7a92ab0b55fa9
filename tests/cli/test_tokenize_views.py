"""`polyseq tokenize --show / --html / --image / --compare` on every built-in domain, in process.

Inputs are the files each domain's `example_files` writes; the expected tokens come from the
tokenizer the run itself saved (`--save-tokenizer`), read through the tokenizer contract.
"""

import re
from html.parser import HTMLParser

import pytest

from polyseq import get_domain
from polyseq.cli import main
from polyseq.tokenizers import load_tokenizer

DOMAIN_TOKENIZERS = [(d, t) for d, ts in [
    ("text", ["char", "word", "bpe", "wordpiece", "unigram"]), ("dna", ["nucleotide", "kmer", "bpe"]),
    ("smiles", ["atom", "char", "bpe", "selfies"]), ("midi", ["remi", "midilike", "remi_bpe"]),
    ("latex", ["math"]), ("code", ["pygments"]),
] for t in ts]
IDS = [f"{d}-{t}" for d, t in DOMAIN_TOKENIZERS]
COLOURED = re.compile(r"\x1b\[([0-9;]+)m(.*?)\x1b\[0m", re.S)
UNK_CODE, FALLBACK_CODE = "1;97;41", "30;43"


@pytest.fixture(scope="module")
def example_file(tmp_path_factory):
    files = {}

    def first_file(domain):
        if domain not in files:
            files[domain] = get_domain(domain).part("example_files")(tmp_path_factory.mktemp(domain))[0]
        return files[domain]

    return first_file


def samples_of(domain, path, limit=2):
    return [r.sample for r in get_domain(domain).read(path)][:limit]


def expected_texts(tok, sample):
    """What the view must show, token by token: the sample's characters of each span (byte tokens
    of one character once), or the token strings when there are no (non-overlapping) offsets."""
    encode = getattr(tok, "encode_with_offsets", None)
    if isinstance(sample, str) and encode is not None:
        ids, spans = encode(sample)
        if all(b[0] >= a[1] or b == a for a, b in zip(spans, spans[1:])):
            out = [sample[s:e] if e > s else tok.id_to_token(i)
                   for j, (i, (s, e)) in enumerate(zip(ids, spans)) if j == 0 or spans[j - 1] != (s, e) or e == s]
            return out, True
    return tok.tokens(sample), False


@pytest.mark.parametrize(("domain", "name"), DOMAIN_TOKENIZERS, ids=IDS)
def test_show_prints_every_token_in_order_in_alternating_colours(domain, name, example_file, tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    path, saved = example_file(domain), tmp_path / "tok.json"
    assert main(["tokenize", "--domain", domain, "--tokenizer", name, "--file", str(path), "--limit", "2", "--show",
                 "--save-tokenizer", str(saved)]) == 0
    out = capsys.readouterr().out
    tok = load_tokenizer(saved)
    blocks = re.split(r"^\S.*\(\d+ tokens\)\n", out, flags=re.M)[1:]
    samples = samples_of(domain, path)
    assert len(blocks) == len(samples) >= 1
    for block, sample in zip(blocks, samples):
        texts, on_text = expected_texts(tok, sample)
        segments = COLOURED.findall(block.split("\n  " + f"{len(tok.encode(sample))} tokens;")[0])
        # a piece spanning lines is coloured line by line: compare with the line breaks taken out
        assert "".join(s for _, s in segments) == "".join(texts).replace("\n", "")
        plain = {code for code, _ in segments if code.startswith("30;48;5;")}
        assert len(plain) == 2  # two alternating backgrounds
        assert ("note: " in block) is (not on_text)


def test_show_highlights_unk_and_byte_fallback(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["tokenize", "--domain", "dna", "--show", "ACGUUA"]) == 0  # U is no DNA letter: <unk>
    segments = COLOURED.findall(capsys.readouterr().out.splitlines()[1])  # the view line, not the legend
    # two neighbouring <unk>s: two shades of red, so the boundary between them shows
    assert [(c, t) for c, t in segments if t == "U"] == [(UNK_CODE, "U"), ("1;97;48;5;88", "U")]
    saved = tmp_path / "char.json"
    assert main(["tokenize", "--domain", "text", "--tokenizer", "char", "--save-tokenizer", str(saved), "abc"]) == 0
    capsys.readouterr()
    assert main(["tokenize", "--domain", "text", "--tokenizer-file", str(saved), "--show", "abé"]) == 0
    out = capsys.readouterr().out
    assert (FALLBACK_CODE, "é") in COLOURED.findall(out)  # its two byte tokens, one piece
    assert "4 tokens;" in out and "fallback \x1b[0m 2" in out  # a, b and the two bytes of é


def test_no_color_marks_boundaries_without_escape_codes(capsys, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["tokenize", "--domain", "smiles", "--show", "CC(=O)Cl"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out and "|C|C|(|=|O|)|Cl|" in out
    assert main(["tokenize", "--domain", "text", "--tokenizer", "word", "--show", "The cat  sat."]) == 0
    assert "  |The| |cat|  |sat|.|\n" in capsys.readouterr().out  # the spaces no token covers stay outside the bars
    monkeypatch.delenv("NO_COLOR")
    assert main(["tokenize", "--domain", "smiles", "CC(=O)Cl"]) == 0  # no --show: no colours either
    assert "\x1b[" not in capsys.readouterr().out


class Spans(HTMLParser):
    """(class, title, text) of every span inside the sample blocks; the page's <img> sources."""

    def __init__(self):
        super().__init__()
        self.spans, self.images, self.depth, self.open, self.rows, self.cell = [], [], 0, None, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and a.get("class", "").startswith("sample"):
            self.depth, self.block = 1, []
            self.spans.append(self.block)
        elif tag == "span" and self.depth:
            self.open = [a.get("class"), a.get("title"), ""]
        elif tag == "img":
            self.images.append(a["src"])
        elif tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.cell = ""

    def handle_data(self, data):
        if self.open is not None:
            self.open[2] += data
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag == "span" and self.open is not None:
            self.block.append(tuple(self.open))
            self.open = None
        elif tag == "div":
            self.depth = 0
        elif tag == "td":
            self.rows[-1].append(self.cell)
            self.cell = None


@pytest.mark.parametrize(("domain", "name"), DOMAIN_TOKENIZERS, ids=IDS)
def test_html_page_parses_and_holds_every_token(domain, name, example_file, tmp_path, capsys):
    path, saved, page = example_file(domain), tmp_path / "tok.json", tmp_path / "view.html"
    assert main(["tokenize", "--domain", domain, "--tokenizer", name, "--file", str(path), "--limit", "2",
                 "--html", str(page), "--save-tokenizer", str(saved)]) == 0
    capsys.readouterr()
    tok, text = load_tokenizer(saved), page.read_text(encoding="utf-8")
    parser = Spans()
    parser.feed(text)
    parser.close()
    assert text.startswith("<!DOCTYPE html>") and "<style>" in text and "<title>" in text
    samples = samples_of(domain, path)
    assert len(parser.spans) == len(samples)
    for block, sample in zip(parser.spans, samples):
        texts, on_text = expected_texts(tok, sample)
        if on_text:  # the spans give back the sample itself, characters no token covers included
            assert "".join(t for _, _, t in block) == sample
        assert [t for c, _, t in block if c != "gap"] == texts
        titles = " ".join(title for c, title, _ in block if c != "gap")
        ids = tok.encode(sample)
        assert titles == " ".join(f"{i}:{tok.id_to_token(i)}" for i in ids)
    drawn = [s for s in parser.images if s.startswith("data:image/png;base64,")]
    assert len(drawn) == (len(samples) if callable(getattr(tok, "token_times", None)) else 0)


@pytest.mark.parametrize("name", ["remi", "midilike", "remi_bpe"])
def test_token_times_put_a_boundary_on_every_note_start(name, example_file):
    from polyseq.views.token_roll import boundaries

    samples = samples_of("midi", example_file("midi"))
    tok = get_domain("midi").make_tokenizer(name)
    if tok.trainable:
        tok.train(samples)
    ids = tok.encode(samples[0])
    times = tok.token_times(ids)
    assert len(times) == len(ids)
    lines = boundaries(times)
    starts = {n.start for n in tok.decode(ids).notes}
    assert starts <= {t for t, _ in lines} and len(starts) > 5
    assert [j for _, j in lines] == sorted(j for _, j in lines) and [t for t, _ in lines] == sorted(t for t, _ in lines)


def test_image_writes_a_png_piano_roll(example_file, tmp_path, capsys):
    png = tmp_path / "roll.png"
    assert main(["tokenize", "--domain", "midi", "--file", str(example_file("midi")), "--image", str(png)]) == 0
    assert f"piano roll(s) written to {png}" in capsys.readouterr().err
    import matplotlib.image

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and matplotlib.image.imread(png).shape[0] > 100


def test_image_needs_a_tokenizer_that_places_tokens_in_time(tmp_path, capsys):
    assert main(["tokenize", "--domain", "dna", "--image", str(tmp_path / "x.png"), "ACGT"]) == 2
    assert "--image: tokenizer 'dna.nucleotide' places no tokens in time" in capsys.readouterr().err


COMPARE = {"text": "char,word,bpe:vocab_size=300,bytes", "dna": "nucleotide,kmer:k=3,bpe",
           "smiles": "atom,char,bpe,selfies",
           "midi": "remi,midilike,remi_bpe", "latex": "math,bytes", "code": "pygments,bytes"}


@pytest.mark.parametrize("domain", list(COMPARE))
def test_compare_table_has_each_tokenizers_figures(domain, example_file, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    path, page = example_file(domain), tmp_path / "compare.html"
    assert main(["tokenize", "--domain", domain, "--file", str(path), "--compare", COMPARE[domain], "--show",
                 "--html", str(page)]) == 0
    out = capsys.readouterr().out
    samples = [r.sample for r in get_domain(domain).read(path)]
    table = out[out.index("tokenizer  "):]
    assert f"means over {len(samples)} sample(s)" in table
    for item in COMPARE[domain].split(","):
        name, *options = item.split(":")
        tok = get_domain(domain).make_tokenizer(name, **{k: int(v) for k, v in (o.split("=") for o in options)})
        if tok.trainable:
            tok.train(samples)
        seqs = [tok.encode(s) for s in samples]
        n = sum(map(len, seqs))
        row = next(line.split() for line in table.splitlines() if line.split()[0] == item + "*" * tok.trainable)
        assert row[1:3] == [f"{tok.vocab_size:,}", f"{n / len(samples):.1f}"]
        if isinstance(samples[0], str):
            assert row[3] == f"{sum(len(s.encode()) for s in samples) / n:.2f}"
        assert f"[{item}]  \x1b[" in out  # the first sample, cut by it, in colour
    assert ("* learned vocabulary: trained on this same input" in table) is ("*" in table.split("means over")[0])
    parser = Spans()
    parser.feed(page.read_text(encoding="utf-8"))
    assert len(parser.spans) == len(COMPARE[domain].split(","))
    text_rows = [line.split() for line in table.splitlines()[2:2 + len(parser.spans)]]
    assert [r for r in parser.rows if r] == text_rows  # the page's table holds the printed figures


def test_compare_counts_unknowns(capsys):
    assert main(["tokenize", "--domain", "dna", "--compare", "nucleotide,bytes", "ACGUUA"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[-5:] if line[:1].isalpha()}
    assert rows["nucleotide"][-1] == f"{100 * 2 / 6:.1f}" and rows["bytes"][-1] == "0.0"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--compare", "char,bpe", "--tokenizer", "char"], "--compare names its tokenizers"),
        (["--compare", "char,bpe:500"], "--compare 'bpe:500': option '500' is not KEY=VALUE"),
        (["--compare", "char,,bpe"], "an empty tokenizer name"),
        (["--compare", "char,wrod"], "Did you mean 'word'?"),
        (["--show", "--json"], "--json prints plain records"),
        (["--image", "roll"], "--image roll: matplotlib cannot write a file without a suffix"),
    ],
    ids=["with-tokenizer", "bad-option", "empty-name", "unknown-name", "json", "image-suffix"],
)
def test_view_option_errors_are_one_line(argv, message, capsys):
    assert main(["tokenize", "--domain", "text", *argv, "hello"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["bytes", "char", "word"])
def test_pieces_on_text_give_back_any_sample(name):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from polyseq.views.tokens import token_view

    tok = get_domain("text").make_tokenizer(name)
    if tok.trainable:
        tok.train(["the quick brown fox, naïve café"])

    @settings(max_examples=60, deadline=None)
    @given(st.text(max_size=40))
    def check(text):
        view = token_view(tok, text)
        assert view.on_text and "".join(p.text for p in view.pieces if p.ids or p.kind == "gap") == text
        assert [i for p in view.pieces for i in p.ids] == tok.encode(text)

    check()
