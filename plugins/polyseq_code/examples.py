"""Small valid programs: the domain's examples (Python) and one tiny program per reader suffix.

Plain data, written for polyseq (no third-party code); importing this module imports nothing heavy.
"""

from __future__ import annotations

import json
from pathlib import Path

#: Domain.examples: Python, the language the default tokenizer lexes (CRLF and tabs included on purpose)
EXAMPLES: tuple[str, ...] = (
    'def fib(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    a, b = 0, 1\n'
    "    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
    "import math\n\n\ndef norm(xs):\n    # Euclidean length of a vector\n"
    "    return math.sqrt(sum(x * x for x in xs))\n",
    "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n"
    "        self.items.append(item)\n\n    def pop(self):\n        return self.items.pop()\n",
    'def greet(name="monde"):\r\n    return f"Bonjour, {name} \u2014 \u00e7a va ?"\r\n',
    "if __name__ == '__main__':\n\tfor i in range(3):\n\t\tprint(i, i ** 2)",
)

#: Pygments alias -> a tiny valid program in that language (each lexes with no Error token)
SNIPPETS: dict[str, str] = {
    "python": "def add(a, b):\n    return a + b\n",
    "c": "#include <stdio.h>\n\nint main(void) {\n    printf(\"%d\\n\", 42);\n    return 0;\n}\n",
    "cpp": "#include <vector>\n\nint sum(const std::vector<int>& v) {\n    int s = 0;\n"
    "    for (int x : v) s += x;\n    return s;\n}\n",
    "java": "public class Hello {\n    public static void main(String[] args) {\n"
    "        System.out.println(\"hello\");\n    }\n}\n",
    "javascript": "function square(x) {\n  return x * x;\n}\nconsole.log(square(3));\n",
    "typescript": "function add(a: number, b: number): number {\n  return a + b;\n}\n",
    "go": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n",
    "rust": "fn main() {\n    let v: Vec<i32> = (1..4).collect();\n    println!(\"{:?}\", v);\n}\n",
    "ruby": "def greet(name)\n  puts \"hello #{name}\"\nend\n\ngreet('world')\n",
    "php": "<?php\nfunction add($a, $b) {\n    return $a + $b;\n}\necho add(1, 2);\n",
    "csharp": "using System;\n\nclass Program {\n    static void Main() {\n"
    "        Console.WriteLine(\"hello\");\n    }\n}\n",
    "scala": "object Main {\n  def main(args: Array[String]): Unit = {\n    println(\"hello\")\n  }\n}\n",
    "kotlin": "fun main() {\n    val xs = listOf(1, 2, 3)\n    println(xs.sum())\n}\n",
    "swift": "func add(_ a: Int, _ b: Int) -> Int {\n    return a + b\n}\nprint(add(1, 2))\n",
    "bash": "#!/bin/sh\nfor f in *.txt; do\n  echo \"$f\"\ndone\n",
    "lua": "local function add(a, b)\n  return a + b\nend\nprint(add(1, 2))\n",
    "julia": "function add(a, b)\n    return a + b\nend\nprintln(add(1, 2))\n",
    "r": "add <- function(a, b) {\n  a + b\n}\nprint(add(1, 2))\n",
    "perl": "use strict;\nmy @xs = (1, 2, 3);\nprint join(\",\", @xs), \"\\n\";\n",
    "haskell": "module Main where\n\nmain :: IO ()\nmain = print (sum [1, 2, 3])\n",
    "dart": "void main() {\n  var xs = [1, 2, 3];\n  print(xs.length);\n}\n",
    "elixir": "defmodule Math do\n  def add(a, b), do: a + b\nend\n",
    "erlang": "-module(math).\n-export([add/2]).\n\nadd(A, B) -> A + B.\n",
    "clojure": "(defn add [a b]\n  (+ a b))\n(println (add 1 2))\n",
    "ocaml": "let add a b = a + b\nlet () = print_int (add 1 2)\n",
    "fortran": "program hello\n  implicit none\n  print *, 'hello'\nend program hello\n",
    "powershell": "function Add($a, $b) {\n    return $a + $b\n}\nWrite-Output (Add 1 2)\n",
    "groovy": "def add(a, b) {\n    a + b\n}\nprintln add(1, 2)\n",
}


def write_example_files(folder: Path) -> list[Path]:
    """One small valid file per reader suffix, a `.jsonl` and a source tree; returns their paths."""
    from polyseq_code.lexers import SUFFIXES

    folder = Path(folder)
    paths = []
    for suffix, alias in SUFFIXES.items():
        path = folder / f"example{suffix}"
        path.write_bytes(SNIPPETS[alias].encode("utf-8"))
        paths.append(path)
    jsonl = folder / "snippets.jsonl"
    rows = [{"id": i, "language": lang, "code": SNIPPETS[alias]}
            for i, (lang, alias) in enumerate([("Python", "python"), ("Go", "go"), ("Rust", "rust"), ("R", "r")])]
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tree = folder / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "util.py").write_bytes(EXAMPLES[0].encode("utf-8"))
    (tree / "main.go").write_bytes(SNIPPETS["go"].encode("utf-8"))
    (tree / "README.md").write_text("# not read: Markdown is not a code suffix\n", encoding="utf-8")
    return [*paths, jsonl, tree]
