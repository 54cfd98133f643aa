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
