import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st
from precise_ingest.adapters.csv_lines import CsvRecord, csv_records


def records(content: bytes) -> list[CsvRecord]:
    return list(csv_records(iter(content.splitlines(keepends=True))))


def test_records_keep_their_first_line_and_exact_bytes_across_quoted_line_breaks() -> None:
    content = b'a,b\r\n"x\r\ny","say ""hi"""\r\n\r\nc,d'
    assert records(content) == [
        CsvRecord(1, b"a,b\r\n", ["a", "b"], None),
        CsvRecord(2, b'"x\r\ny","say ""hi"""\r\n', ["x\r\ny", 'say "hi"'], None),
        CsvRecord(4, b"\r\n", [], None),
        CsvRecord(5, b"c,d", ["c", "d"], None),
    ]


def test_a_quote_never_closed_takes_the_rest_of_the_file_as_one_broken_record() -> None:
    (good, broken) = records(b'a,b\n"open,c\nd,e\n')
    assert good.values == ["a", "b"]
    assert broken.line == 2
    assert broken.raw == b'"open,c\nd,e\n'
    assert broken.problem is not None
    assert "quoting" in broken.problem


def test_a_row_that_is_not_utf8_is_a_problem_not_an_error() -> None:
    (bad, good) = records(b"caf\xe9,x\nok,y\n")
    assert (bad.values, bad.problem) == ([], "the row is not UTF-8")
    assert good.values == ["ok", "y"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet=st.sampled_from('ab ,"\n\r£'), max_size=8), min_size=1, max_size=5),
        min_size=1,
        max_size=5,
    )
)
def test_any_rows_the_csv_module_writes_read_back_the_same(rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    expected = list(csv.reader(io.StringIO(out.getvalue(), newline=""), strict=True))

    read = records(out.getvalue().encode())

    assert [r.problem for r in read if r.problem] == []
    assert [r.values for r in read if r.values] == [row for row in expected if row]
