"""Cutting a CSV file into parts of at most N rows (core/cli/csv_file.py): the parts read
by read_csv_batch give exactly the rows of the whole file, and each row keeps its line."""

import pandas as pd
import pytest

from core.cli.csv_file import split_csv
from core.config import load_config
from core.ingest import read_csv_batch
from tests.helpers import STORE_YAML

ISET = load_config(STORE_YAML.encode(), "store.yaml", None).indicator_set
HEADER = "response_id,segment,env_overall,nps_recommend"


def frame(batch) -> pd.DataFrame:
    return pd.concat([batch.meta, batch.attributes, batch.answers], axis=1)


def read_parts(parts) -> pd.DataFrame:
    return pd.concat([frame(read_csv_batch(p, ISET)) for p in parts.parts], ignore_index=True)


CASES = {
    "plain": HEADER + "\nr1,vip,A,9\nr2,new,B,5\nr3,new,C,7\n",
    "crlf and bom": "\ufeff" + HEADER + "\r\nr1,vip,A,9\r\nr2,new,B,5\r\nr3,new,C,7\r\n",
    "no final newline": HEADER + "\nr1,vip,A,9\nr2,new,B,5\nr3,new,C,7",
    "blank and blank-looking lines": "\n" + HEADER + "\nr1,vip,A,9\n\n  \t\nr2,new,B,5\n\nr3,new,C,7\n",
    "quoted values over lines": HEADER + '\nr1,"a\nb",A,9\nr2, "x, y\n\nz",B,5\nr3,new,C,7\n',
    "quoted header": '"response_id","seg\nment",env_overall,nps_recommend\nr1,vip,A,9\nr2,new,B,5\nr3,new,C,7\n',
}
LINES = {
    "plain": [2, 3, 4],
    "crlf and bom": [2, 3, 4],
    "no final newline": [2, 3, 4],
    "blank and blank-looking lines": [3, 6, 8],
    "quoted values over lines": [2, 4, 7],
    "quoted header": [3, 4, 5],
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("size", [1, 2, 3, 10])
def test_parts_read_as_the_whole_file(name, size):
    data = CASES[name].encode("utf-8")
    parts = split_csv(data, size)
    assert parts.part_rows == [min(size, 3 - i) for i in range(0, 3, size)]
    assert parts.lines == LINES[name]
    whole = frame(read_csv_batch(data, ISET))
    pd.testing.assert_frame_equal(read_parts(parts), whole)
    assert [parts.where(r) for r in range(3)] == [f"line {n}" for n in LINES[name]]


def test_rows_wider_or_narrower_than_the_header_are_named_by_line():
    parts = split_csv((HEADER + "\nr1,vip,A,9\nr2,new,B,5,extra\n\nr3,new,C,7,,\nr4,new,C\n").encode(), 2)
    assert parts.ragged == ["line 3: 5 fields, the header has 4", "line 5: 6 fields, the header has 4", "line 6: 3 fields, the header has 4"]


@pytest.mark.parametrize(
    "data",
    [
        b"",  # empty: the reader says so
        "response_id,segment\nr1,caf\xe9\n".encode("latin-1"),  # not UTF-8
        (HEADER + '\nr1,"never closed,A,9\n').encode(),  # the csv module gives up (strict)
        (HEADER + '\nr1,"a"b,A,9\n').encode(),
    ],
)
def test_a_file_the_row_pass_cannot_read_stays_whole(data):
    parts = split_csv(data, 2)
    assert parts.whole and parts.parts == [data] and parts.lines is None
    assert parts.where(3) == "row 3"


def test_header_only():
    parts = split_csv(HEADER.encode(), 2)
    assert parts.part_rows == [0] and parts.parts == [HEADER + "\n"] and not parts.whole
