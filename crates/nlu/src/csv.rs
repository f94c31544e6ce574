//! Labelled examples in CSV: a header naming a `text` and a `category`
//! column (as in `data/banking77/train.csv`), then one example a record.
//!
//! RFC 4180: fields are separated by commas, records by LF or CRLF; a field
//! in double quotes may hold commas and line breaks, and `""` inside it is
//! one quote. A leading byte-order mark is skipped, and so are blank lines
//! between records. Anything else malformed (an unterminated quote, a quote
//! inside an unquoted field, a missing or extra column, an empty label or
//! text) is a [`CsvError`] naming the source, the line and the field.

use std::fmt;

/// One labelled utterance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Example {
    pub text: String,
    pub label: String,
}

/// A malformed CSV input: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}, field {field}: {kind}")]
pub struct CsvError {
    /// The name the caller gave the input (usually its path).
    pub file: String,
    /// The 1-based line where the problem is.
    pub line: usize,
    /// The field: a column name (`text`, `category`), `column N`, or `header`.
    pub field: String,
    pub kind: CsvErrorKind,
}

/// What is wrong with a CSV input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvErrorKind {
    #[error("the input is empty (no header)")]
    Empty,
    #[error("the header has no `{0}` column")]
    MissingHeaderColumn(&'static str),
    #[error("the header names column `{0}` twice")]
    DuplicateHeaderColumn(String),
    #[error("quoted field opened on line {opened} is never closed")]
    UnterminatedQuote { opened: usize },
    #[error("a quote inside an unquoted field (quote the whole field and write \"\" for a quote)")]
    QuoteInUnquotedField,
    #[error("{0:?} after the closing quote (expected a comma or the end of the line)")]
    TextAfterQuote(char),
    #[error("missing column: the record has {found} field(s), the header {expected}")]
    MissingColumn { found: usize, expected: usize },
    #[error("extra column: the record has {found} field(s), the header {expected}")]
    ExtraColumn { found: usize, expected: usize },
    #[error("empty label")]
    EmptyLabel,
    #[error("empty text")]
    EmptyText,
}

/// One field of a record, with the line it starts on.
struct Field {
    value: String,
    line: usize,
}

/// A pull parser over RFC 4180 records.
struct Records<'a> {
    rest: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    file: &'a str,
    /// The header's column names, once read, to name fields in errors.
    names: Vec<String>,
}

impl<'a> Records<'a> {
    fn new(input: &'a str, file: &'a str) -> Self {
        let input = input.strip_prefix('\u{FEFF}').unwrap_or(input);
        Records {
            rest: input.chars().peekable(),
            line: 1,
            file,
            names: Vec::new(),
        }
    }

    fn error(&self, line: usize, column: usize, kind: CsvErrorKind) -> CsvError {
        CsvError {
            file: self.file.to_string(),
            line,
            field: column_name(&self.names, column),
            kind,
        }
    }

    /// Consumes a line break (LF, CRLF or a lone CR) if one is next.
    fn line_break(&mut self) -> bool {
        match self.rest.peek() {
            Some('\n') => {
                self.rest.next();
                self.line += 1;
                true
            }
            Some('\r') => {
                self.rest.next();
                if self.rest.peek() == Some(&'\n') {
                    self.rest.next();
                }
                self.line += 1;
                true
            }
            _ => false,
        }
    }

    /// The next non-blank record, with the line it starts on, or `None` at
    /// the end of the input.
    fn next_record(&mut self) -> Result<Option<(usize, Vec<Field>)>, CsvError> {
        while self.line_break() {}
        if self.rest.peek().is_none() {
            return Ok(None);
        }
        let start = self.line;
        let mut fields = Vec::new();
        loop {
            let field = self.field(fields.len())?;
            fields.push(field);
            match self.rest.peek() {
                Some(',') => {
                    self.rest.next();
                }
                _ => {
                    self.line_break();
                    return Ok(Some((start, fields)));
                }
            }
        }
    }

    /// One field, leaving the separator or line break after it unread.
    fn field(&mut self, column: usize) -> Result<Field, CsvError> {
        let line = self.line;
        let mut value = String::new();
        if self.rest.peek() == Some(&'"') {
            self.rest.next();
            loop {
                match self.rest.next() {
                    None => {
                        return Err(self.error(
                            line,
                            column,
                            CsvErrorKind::UnterminatedQuote { opened: line },
                        ))
                    }
                    Some('"') => {
                        if self.rest.peek() == Some(&'"') {
                            self.rest.next();
                            value.push('"');
                        } else {
                            break;
                        }
                    }
                    Some('\n') => {
                        self.line += 1;
                        value.push('\n');
                    }
                    Some('\r') => {
                        if self.rest.peek() == Some(&'\n') {
                            self.rest.next();
                        }
                        self.line += 1;
                        value.push('\n');
                    }
                    Some(c) => value.push(c),
                }
            }
            match self.rest.peek() {
                None | Some(',' | '\n' | '\r') => {}
                Some(&c) => {
                    return Err(self.error(self.line, column, CsvErrorKind::TextAfterQuote(c)))
                }
            }
        } else {
            while let Some(&c) = self.rest.peek() {
                match c {
                    ',' | '\n' | '\r' => break,
                    '"' => {
                        return Err(self.error(line, column, CsvErrorKind::QuoteInUnquotedField))
                    }
                    _ => {
                        value.push(c);
                        self.rest.next();
                    }
                }
            }
        }
        Ok(Field { value, line })
    }
}

/// Reads labelled examples from CSV text. `source` names the input in
/// errors (usually its path). Labels are trimmed; texts are kept as they
/// are (the classifier normalises them).
pub fn read_csv(input: &str, source: &str) -> Result<Vec<Example>, CsvError> {
    let mut records = Records::new(input, source);
    let Some((header_line, header)) = records.next_record()? else {
        return Err(CsvError {
            file: source.to_string(),
            line: 1,
            field: "header".into(),
            kind: CsvErrorKind::Empty,
        });
    };
    let names: Vec<String> = header
        .iter()
        .map(|f| f.value.trim().to_ascii_lowercase())
        .collect();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(CsvError {
                file: source.to_string(),
                line: header_line,
                field: "header".into(),
                kind: CsvErrorKind::DuplicateHeaderColumn(name.clone()),
            });
        }
    }
    let column = |wanted: &'static str| {
        names.iter().position(|n| n == wanted).ok_or(CsvError {
            file: source.to_string(),
            line: header_line,
            field: "header".into(),
            kind: CsvErrorKind::MissingHeaderColumn(wanted),
        })
    };
    let text_col = column("text")?;
    let label_col = column("category")?;
    records.names = names.clone();
    let name_of = |i: usize| column_name(&names, i);

    let mut examples = Vec::new();
    while let Some((line, fields)) = records.next_record()? {
        let error = |line: usize, column: usize, kind| CsvError {
            file: source.to_string(),
            line,
            field: name_of(column),
            kind,
        };
        if fields.len() < names.len() {
            let last_line = fields.last().map_or(line, |f| f.line);
            return Err(error(
                last_line,
                fields.len(),
                CsvErrorKind::MissingColumn {
                    found: fields.len(),
                    expected: names.len(),
                },
            ));
        }
        if fields.len() > names.len() {
            let extra = &fields[names.len()];
            return Err(error(
                extra.line,
                names.len(),
                CsvErrorKind::ExtraColumn {
                    found: fields.len(),
                    expected: names.len(),
                },
            ));
        }
        let text = &fields[text_col];
        let label = &fields[label_col];
        if text.value.trim().is_empty() {
            return Err(error(text.line, text_col, CsvErrorKind::EmptyText));
        }
        let label_value = label.value.trim();
        if label_value.is_empty() {
            return Err(error(label.line, label_col, CsvErrorKind::EmptyLabel));
        }
        examples.push(Example {
            text: text.value.clone(),
            label: label_value.to_string(),
        });
    }
    Ok(examples)
}

/// A column's name in the header, or `column N` (1-based).
fn column_name(names: &[String], i: usize) -> String {
    names
        .get(i)
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("column {}", i + 1), |n| n.clone())
}

/// Writes examples as CSV (`text,category` header, LF line ends), quoting
/// fields that need it; [`read_csv`] reads the output back unchanged.
pub fn write_csv(examples: &[Example]) -> String {
    let mut out = String::from("text,category\n");
    for e in examples {
        out.push_str(&Quoted(&e.text).to_string());
        out.push(',');
        out.push_str(&Quoted(&e.label).to_string());
        out.push('\n');
    }
    out
}

/// A field as RFC 4180 wants it: quoted when it holds a comma, quote or
/// line break (or surrounding spaces a reader might trim).
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let needs = s.is_empty()
            || s.contains([',', '"', '\n', '\r'])
            || s.starts_with(char::is_whitespace)
            || s.ends_with(char::is_whitespace)
            || s.starts_with('\u{FEFF}');
        if needs {
            write!(f, "\"{}\"", s.replace('"', "\"\""))
        } else {
            f.write_str(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_quoted() {
        let got = read_csv(
            "text,category\nhello,greet\n\"a, b \"\"c\"\"\",x\n",
            "t.csv",
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].text, "a, b \"c\"");
        assert_eq!(got[1].label, "x");
    }

    #[test]
    fn columns_in_any_order() {
        let got = read_csv("category,text\nx,hi there\n", "t.csv").unwrap();
        assert_eq!(
            got,
            [Example {
                text: "hi there".into(),
                label: "x".into()
            }]
        );
    }

    #[test]
    fn write_then_read() {
        let examples = vec![
            Example {
                text: "multi\nline, \"quoted\"".into(),
                label: "a".into(),
            },
            Example {
                text: " padded ".into(),
                label: "b".into(),
            },
        ];
        assert_eq!(read_csv(&write_csv(&examples), "w.csv").unwrap(), examples);
    }
}
