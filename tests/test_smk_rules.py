"""The rule reader used by the env/container tests finds what a rule really runs (and so can fail)."""

from __future__ import annotations

from pathlib import Path

from smk_rules import BASE_PROGRAMS, parse_file, programs

SMK = """
TOOL = {"a": "align.sh", "b": "other.sh"}[config["mode"]]


rule demo:
    input:
        "in.txt",
    output:
        "out.txt",
    params:
        script=f"{SCRIPTS}/{TOOL}",
        mode=config["mode"],
    threads: 2
    resources:
        mem_mb=100,
        runtime=5,
    conda:
        "../envs/a.yaml" if config["mode"] == "a" else "../envs/b.yaml"
    shell:
        "{SCRIPTS}/logged.sh {log} {params.script} {params.mode} {input} {output}"
        " && {SCRIPTS}/logged.sh {log} bash -c 'bgzip -c {output} | tee x > /dev/null'"
"""
ALIGN = """#!/usr/bin/env bash
# usage: align.sh MODE IN OUT  (comments mentioning bwa do not count)
set -euo pipefail
mode=$1 in=$2 out=$3
helper() { samtools view "$1"; }
case "$mode" in
  a) cmd=(minimap2 -a "$in") ;;
  z) cmd=(bwa mem "$in") ;;
esac
"${cmd[@]}" | helper - > "$out"
n=$(wc -l < "$out")
"""
LOGGED = """#!/usr/bin/env bash
log=$1
shift
"$@" >>"$log" 2>&1
"""


def test_rule_reader_renders_and_follows_scripts(tmp_path: Path):
    (tmp_path / "rules").mkdir()
    scripts = tmp_path / "workflow" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "align.sh").write_text(ALIGN)
    (scripts / "logged.sh").write_text(LOGGED)
    smk = tmp_path / "rules" / "demo.smk"
    smk.write_text("SCRIPTS = str(WORKFLOW_DIR / 'workflow' / 'scripts')\n" + SMK)
    (rule,), constants = parse_file(smk)
    assert rule.name == "demo" and rule.keyword_names("resources") == {"mem_mb", "runtime"}
    assert [name for name, _ in constants] == ["SCRIPTS", "TOOL"]

    from smk_rules import Workflow

    wf = Workflow([rule], constants, tmp_path)
    ns = wf.namespace({"mode": "a"})
    assert rule.evaluate("conda", ns) == "../envs/a.yaml"
    assert rule.evaluate("conda", wf.namespace({"mode": "b"})) == "../envs/b.yaml"
    command = wf.render_shell(rule, ns)
    assert f"{scripts}/align.sh a X X" in command
    # logged.sh runs what it is given; align.sh's `case` picks minimap2 for mode a, not bwa;
    # the function, builtins and variables are not programs; bash -c text is read.
    assert programs(command, scripts) - BASE_PROGRAMS == {"minimap2", "samtools", "bgzip"}
    assert {"wc", "tee", "bash"} <= programs(command, scripts)
