//! Content lines (RFC 5545 §3.1): unfolding, then splitting one line into
//! its name, parameters and value. Borrowing wherever the text allows, so a
//! multi-megabyte feed is read without copying most of it.

use std::borrow::Cow;

/// The unfolded content lines of a text: a line that starts with a space or a
/// tab continues the one before it (the break and that one character are
/// removed). Both CRLF and bare LF breaks are accepted; empty lines are
/// skipped.
pub(super) struct Lines<'a> {
    rest: &'a str,
}

impl<'a> Lines<'a> {
    /// Reads `text` from its start (a leading byte-order mark is dropped).
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            rest: text.strip_prefix('\u{feff}').unwrap_or(text),
        }
    }
}

/// Splits off the first physical line, without its line break.
fn split_line(text: &str) -> (&str, &str) {
    let (line, rest) = text.split_once('\n').unwrap_or((text, ""));
    (line.strip_suffix('\r').unwrap_or(line), rest)
}

/// Whether the next physical line continues the current one.
fn continues(text: &str) -> bool {
    text.starts_with(' ') || text.starts_with('\t')
}

/// One unfolded content line, still in place in the text: its name can be
/// read without copying, and only lines that matter are joined.
#[derive(Clone, Copy, Debug)]
pub(super) struct RawLine<'a> {
    /// The first physical line.
    first: &'a str,
    /// The whole span, continuation lines and breaks included.
    span: &'a str,
    folded: bool,
}

impl<'a> RawLine<'a> {
    /// The property name when the first physical line holds all of it.
    pub(super) fn name(&self) -> Option<&'a str> {
        let end = self.first.find([';', ':'])?;
        self.first.get(..end)
    }

    /// The line with its folds removed.
    pub(super) fn unfold(&self) -> Cow<'a, str> {
        if !self.folded {
            return Cow::Borrowed(self.first);
        }
        let mut joined = String::with_capacity(self.span.len());
        let mut rest = self.span;
        let mut first = true;
        while !rest.is_empty() {
            let (line, after) = split_line(rest);
            // A continuation's first character is the one-byte space or tab.
            joined.push_str(if first {
                line
            } else {
                line.get(1..).unwrap_or("")
            });
            first = false;
            rest = after;
        }
        Cow::Owned(joined)
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = RawLine<'a>;

    fn next(&mut self) -> Option<RawLine<'a>> {
        while !self.rest.is_empty() {
            let start = self.rest;
            let (first, mut rest) = split_line(start);
            let mut folded = false;
            while continues(rest) {
                folded = true;
                rest = split_line(rest).1;
            }
            self.rest = rest;
            let span = start.get(..start.len() - rest.len()).unwrap_or(first);
            if !first.is_empty() || folded {
                return Some(RawLine {
                    first,
                    span,
                    folded,
                });
            }
        }
        None
    }
}

/// One content line: `name *(";" param) ":" value`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ContentLine<'l> {
    /// The property name as written (compare without case).
    pub(super) name: &'l str,
    /// The raw parameter text between the name and the colon.
    params: &'l str,
    /// Everything after the first colon outside quotes.
    pub(super) value: &'l str,
}

impl<'l> ContentLine<'l> {
    /// Splits a line; `None` when it has no colon (not a content line).
    pub(super) fn parse(line: &'l str) -> Option<Self> {
        let name_end = line.find([';', ':'])?;
        let name = line.get(..name_end)?;
        let after = line.get(name_end..)?;
        if let Some(value) = after.strip_prefix(':') {
            return Some(Self {
                name,
                params: "",
                value,
            });
        }
        let params_text = after.get(1..)?;
        let colon = unquoted_position(params_text, ':')?;
        Some(Self {
            name,
            params: params_text.get(..colon)?,
            value: params_text.get(colon + 1..)?,
        })
    }

    /// Whether the property is called `name` (case-insensitive).
    pub(super) fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value of parameter `name` (case-insensitive), quotes removed;
    /// for a list, the whole list.
    pub(super) fn param(&self, name: &str) -> Option<&'l str> {
        let mut rest = self.params;
        while !rest.is_empty() {
            let end = unquoted_position(rest, ';').unwrap_or(rest.len());
            let one = rest.get(..end)?;
            rest = rest.get(end + 1..).unwrap_or("");
            if let Some((key, value)) = one.split_once('=') {
                if key.trim().eq_ignore_ascii_case(name) {
                    let value = value.trim();
                    return Some(
                        value
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .unwrap_or(value),
                    );
                }
            }
        }
        None
    }
}

/// The byte position of the first `wanted` outside double quotes.
fn unquoted_position(text: &str, wanted: char) -> Option<usize> {
    let mut quoted = false;
    for (at, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == wanted && !quoted {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_lines_are_joined_and_breaks_of_either_kind_accepted() {
        let text = "\u{feff}BEGIN:VCALENDAR\r\nSUMMARY:Stand\r\n up\r\n\tmeeting\n\nEND:VCALENDAR";
        let lines: Vec<_> = Lines::new(text).map(|l| l.unfold()).collect();
        let names: Vec<_> = Lines::new(text).map(|l| l.name()).collect();
        assert_eq!(names, [Some("BEGIN"), Some("SUMMARY"), Some("END")]);
        assert_eq!(
            lines,
            ["BEGIN:VCALENDAR", "SUMMARY:Standupmeeting", "END:VCALENDAR"]
        );
    }

    #[test]
    fn quoted_parameters_may_hold_colons_and_semicolons() {
        let line = ContentLine::parse(
            "ATTENDEE;CN=\"Doe; Jane: CEO\";PARTSTAT=DECLINED:mailto:jane@example.com",
        )
        .unwrap();
        assert!(line.is("attendee"));
        assert_eq!(line.param("partstat"), Some("DECLINED"));
        assert_eq!(line.param("CN"), Some("Doe; Jane: CEO"));
        assert_eq!(line.value, "mailto:jane@example.com");
        assert_eq!(ContentLine::parse("no colon here"), None);
        assert_eq!(ContentLine::parse("X;\"unclosed:value"), None);
    }
}
