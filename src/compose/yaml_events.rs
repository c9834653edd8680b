//! The event stream of libyaml, through `libyaml-safer` (libyaml ported line by line to safe
//! Rust; docs/decisions.md, decision 1).
//!
//! libyaml is what Docker Compose's go-yaml was ported from, so it accepts exactly the YAML
//! that Compose accepts (including flow collections whose closing bracket sits at the parent's
//! indentation, which stricter YAML 1.2 parsers reject).

use libyaml_safer::{Encoding, EventData, Parser, ScalarStyle};
use std::io::BufReader;

#[derive(Debug)]
pub enum Event {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias(String),
    Scalar {
        value: String,
        style: Style,
        anchor: Option<String>,
        tag: Option<String>,
    },
    SequenceStart {
        anchor: Option<String>,
        tag: Option<String>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<String>,
        tag: Option<String>,
    },
    MappingEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// A position: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug)]
pub struct YamlError {
    pub mark: Mark,
    pub message: String,
}

/// The events of one input, with the mark where each starts.
pub struct Events<'a> {
    parser: Parser<BufReader<&'a [u8]>>,
    done: bool,
}

/// How much of the input the scanner decodes at a time. Handed the whole slice, it decodes
/// all of it into its character queue at once (four bytes a character, grown by doubling):
/// on a 650 KB file that queue outgrew the caches, and reading took twice as long.
const CHUNK: usize = 16 * 1024;

impl<'a> Events<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        let mut parser = Parser::new();
        // The text was read as UTF-8 already.
        parser.set_encoding(Encoding::Utf8);
        parser.set_input(BufReader::with_capacity(CHUNK, input));
        Events {
            parser,
            done: false,
        }
    }
}

fn mark(m: libyaml_safer::Mark) -> Mark {
    Mark {
        line: u32::try_from(m.line + 1).unwrap_or(u32::MAX),
        col: u32::try_from(m.column + 1).unwrap_or(u32::MAX),
    }
}

fn error(e: &libyaml_safer::Error) -> YamlError {
    let at = e.problem_mark().map(mark).unwrap_or_default();
    let context = match (e.context(), e.context_mark().map(mark)) {
        (Some(context), Some(start)) => {
            // Where the construct began (an unterminated quote) when that is elsewhere.
            let began = if (start.line, start.col) != (at.line, at.col) {
                format!(" started at line {}, column {}", start.line, start.col)
            } else {
                String::new()
            };
            format!(" {context}{began}")
        }
        (Some(context), None) => format!(" {context}"),
        (None, _) => String::new(),
    };
    YamlError {
        mark: at,
        message: format!("{}{context}", e.problem()),
    }
}

impl Iterator for Events<'_> {
    type Item = Result<(Event, Mark), YamlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let e = match self.parser.parse() {
            Ok(e) => e,
            Err(e) => {
                self.done = true;
                return Some(Err(error(&e)));
            }
        };
        let at = mark(e.start_mark);
        let out = match e.data {
            EventData::StreamStart { .. } => Event::StreamStart,
            EventData::StreamEnd => {
                self.done = true;
                Event::StreamEnd
            }
            EventData::DocumentStart { .. } => Event::DocumentStart,
            EventData::DocumentEnd { .. } => Event::DocumentEnd,
            EventData::Alias { anchor } => Event::Alias(anchor),
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => Event::Scalar {
                value,
                style: match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                    _ => Style::Quoted,
                },
                anchor,
                tag,
            },
            EventData::SequenceStart { anchor, tag, .. } => Event::SequenceStart { anchor, tag },
            EventData::SequenceEnd => Event::SequenceEnd,
            EventData::MappingStart { anchor, tag, .. } => Event::MappingStart { anchor, tag },
            EventData::MappingEnd => Event::MappingEnd,
        };
        Some(Ok((out, at)))
    }
}
