"""One option syntax for every command: `--data.tokenizer_options MAPPING`, `--data.tokenizer_options.KEY=VALUE`
and `-o KEY=VALUE` (likewise `--data.reader_options`, `-r`), values read with YAML rules."""

import json

import pytest

from polyseq import ConfigError
from polyseq.cli import dotted_to_short, main, parse_options, short_to_dotted

ROWS = "id,sequence,label,gc\nr1,ACGTACGTACGTACGTACGT,motif,0.5\nr2,CCCCGGGGAAAATTTTCCCC,plain,0.6\n"


def test_values_follow_yaml_rules():
    options = parse_options(["k=3", "overlap=false", "name=kmer", "empty=", "none=null", "ids=[1, 2]", "x=a=b"])
    assert options == {"k": 3, "overlap": False, "name": "kmer", "empty": "", "none": None, "ids": [1, 2], "x": "a=b"}


def test_forms_apply_left_to_right_a_mapping_replacing_what_came_before():
    entries = [("pair", "-o", "k=3"), ("mapping", "--data.tokenizer_options", "{overlap: false}"), ("pair", "-o", "k=4")]
    assert parse_options(entries) == {"overlap": False, "k": 4}
    assert parse_options([("mapping", "--data.tokenizer_options", '{"k": 5}')]) == {"k": 5}  # JSON is YAML


def test_every_malformed_option_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        parse_options([("pair", "-o", "novalue"), ("mapping", "--data.tokenizer_options", "k=3"),
                       ("mapping", "--data.tokenizer_options", "{k: [}")])
    problems = info.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("-o 'novalue': expected KEY=VALUE")
    assert "--data.tokenizer_options 'k=3': expected a mapping such as '{k: 6}'" in problems[1]
    assert "not YAML or JSON" in problems[2]


def test_argv_rewrites_between_the_dotted_and_the_short_form():
    assert dotted_to_short(["tokenize", "--data.tokenizer_options.k=3", "--data.reader_options.window", "5"]) == \
        ["tokenize", "--option", "k=3", "--reader-option", "window=5"]
    assert dotted_to_short(["tokenize", "--data.tokenizer_options", "{k: 3}"]) == ["tokenize", "--data.tokenizer_options", "{k: 3}"]
    assert short_to_dotted(["fit", "-o", "k=3", "--option=overlap=false", "-rwindow=5", "--reader-option", "target=gc",
                            "--data.domain=dna"]) == \
        ["fit", "--data.tokenizer_options.k=3", "--data.tokenizer_options.overlap=false",
         "--data.reader_options.window=5", "--data.reader_options.target=gc", "--data.domain=dna"]
    with pytest.raises(ConfigError, match="-o 'k': expected KEY=VALUE"):
        short_to_dotted(["fit", "-o", "k"])


KMER_FORMS = {
    "short": ["-o", "k=3", "-o", "overlap=false"],
    "long": ["--option=k=3", "--option", "overlap=false"],
    "mapping": ["--data.tokenizer_options", "{k: 3, overlap: false}"],
    "json": ["--data.tokenizer_options", '{"k": 3, "overlap": false}'],
    "dotted": ["--data.tokenizer_options.k=3", "--data.tokenizer_options.overlap", "false"],
    "mixed": ["--data.tokenizer_options", "{k: 5}", "-o", "k=3", "-o", "overlap=false"],
}


@pytest.mark.parametrize("form", list(KMER_FORMS), ids=list(KMER_FORMS))
def test_tokenize_takes_every_tokenizer_option_form(form, capsys):
    assert main(["tokenize", "--domain", "dna", "--tokenizer", "kmer", *KMER_FORMS[form], "--json", "ACGTACGTA"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["tokens"] == ["ACG", "TAC", "GTA"]  # k=3 an int, overlap=false a bool


READER_FORMS = {
    "short": ["-r", "window=10"],
    "mapping": ["--data.reader_options", "{window: 10}"],
    "dotted": ["--data.reader_options.window=10"],
}


@pytest.mark.parametrize("form", list(READER_FORMS), ids=list(READER_FORMS))
def test_tokenize_takes_every_reader_option_form(form, tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text(ROWS)
    assert main(["tokenize", "--domain", "dna", "--file", str(rows), *READER_FORMS[form], "--json"]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["n_tokens"] for e in entries] == [10] * 4  # two 20-base rows cut into windows of 10 (an int)


def test_tokenize_option_errors_name_the_flag_typed(tmp_path, capsys):
    assert main(["tokenize", "--domain", "dna", "--data.tokenizer_options", "k=3", "ACGT"]) == 2
    assert "--data.tokenizer_options 'k=3': expected a mapping such as '{k: 6}' (or -o k=6)" in capsys.readouterr().err
    assert main(["tokenize", "--domain", "dna", "-r", "window=3", "ACGT"]) == 2
    assert "-r/--data.reader_options apply to --file or --dataset" in capsys.readouterr().err


def test_fit_takes_the_short_forms(tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text(ROWS)
    with pytest.raises(SystemExit) as done:
        main(["fit", "--data.domain=dna", f"--data.train={rows}", "--data.tokenizer_options", "{overlap: false}",
              "-o", "k=3", "-r", "target=gc", "--print_config"])
    assert done.value.code in (0, None)
    config = capsys.readouterr().out
    assert "tokenizer_options:\n    overlap: false\n    k: 3" in config
    assert "reader_options:\n    target: gc" in config
