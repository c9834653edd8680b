//! A safe event stream over libyaml (the `unsafe-libyaml` port that serde_yaml also uses).
//!
//! libyaml is what Docker Compose's go-yaml was ported from, so it accepts exactly the YAML
//! that Compose accepts (including flow collections whose closing bracket sits at the parent's
//! indentation, which stricter YAML 1.2 parsers reject). All `unsafe` of the crate is here.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use unsafe_libyaml as unsafe_yaml;

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

pub struct Events<'a> {
    parser: Box<MaybeUninit<unsafe_yaml::yaml_parser_t>>,
    // The parser reads from this buffer until it is dropped.
    _input: &'a [u8],
    done: bool,
}

impl<'a> Events<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        let mut parser = Box::new(MaybeUninit::<unsafe_yaml::yaml_parser_t>::uninit());
        // SAFETY: initialise the parser in place, then point it at `input`, which outlives it
        // (lifetime 'a ties the buffer to this struct).
        unsafe {
            let p = parser.as_mut_ptr();
            if unsafe_yaml::yaml_parser_initialize(p).fail {
                // Allocation failed inside libyaml; report on the first `next`.
                return Events {
                    parser,
                    _input: input,
                    done: true,
                };
            }
            unsafe_yaml::yaml_parser_set_encoding(p, unsafe_yaml::YAML_UTF8_ENCODING);
            unsafe_yaml::yaml_parser_set_input_string(p, input.as_ptr(), input.len() as u64);
        }
        Events {
            parser,
            _input: input,
            done: false,
        }
    }

    fn error(&mut self) -> YamlError {
        // SAFETY: the parser is initialised; `problem` and `context` are static C strings or null.
        unsafe {
            let p = &*self.parser.as_ptr();
            let problem = if p.problem.is_null() {
                "unknown YAML error".to_string()
            } else {
                CStr::from_ptr(p.problem).to_string_lossy().into_owned()
            };
            let context = if p.context.is_null() {
                String::new()
            } else {
                let (at, start) = (mark(p.problem_mark), mark(p.context_mark));
                // Where the construct began (an unterminated quote) when that is elsewhere.
                let began = if (start.line, start.col) != (at.line, at.col) {
                    format!(" started at line {}, column {}", start.line, start.col)
                } else {
                    String::new()
                };
                format!(" {}{began}", CStr::from_ptr(p.context).to_string_lossy())
            };
            YamlError {
                mark: mark(p.problem_mark),
                message: format!("{problem}{context}"),
            }
        }
    }
}

fn mark(m: unsafe_yaml::yaml_mark_t) -> Mark {
    Mark {
        line: m.line as u32 + 1,
        col: m.column as u32 + 1,
    }
}

unsafe fn cstring(p: *const u8) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: libyaml hands out NUL-terminated strings that live as long as the event.
        Some(
            unsafe { CStr::from_ptr(p.cast()) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

impl Iterator for Events<'_> {
    type Item = Result<(Event, Mark), YamlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut ev = MaybeUninit::<unsafe_yaml::yaml_event_t>::uninit();
        // SAFETY: the parser is initialised; the event is read only after a successful parse
        // and deleted before returning.
        unsafe {
            let p = self.parser.as_mut_ptr();
            if unsafe_yaml::yaml_parser_parse(p, ev.as_mut_ptr()).fail {
                self.done = true;
                return Some(Err(self.error()));
            }
            let e = &*ev.as_ptr();
            let at = mark(e.start_mark);
            let out = match e.type_ {
                unsafe_yaml::YAML_STREAM_START_EVENT => Event::StreamStart,
                unsafe_yaml::YAML_STREAM_END_EVENT => {
                    self.done = true;
                    Event::StreamEnd
                }
                unsafe_yaml::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
                unsafe_yaml::YAML_DOCUMENT_END_EVENT => Event::DocumentEnd,
                unsafe_yaml::YAML_ALIAS_EVENT => {
                    Event::Alias(cstring(e.data.alias.anchor).unwrap_or_default())
                }
                unsafe_yaml::YAML_SCALAR_EVENT => {
                    let s = e.data.scalar;
                    let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
                    Event::Scalar {
                        value: String::from_utf8_lossy(bytes).into_owned(),
                        style: match s.style {
                            unsafe_yaml::YAML_PLAIN_SCALAR_STYLE => Style::Plain,
                            unsafe_yaml::YAML_LITERAL_SCALAR_STYLE
                            | unsafe_yaml::YAML_FOLDED_SCALAR_STYLE => Style::Block,
                            _ => Style::Quoted,
                        },
                        anchor: cstring(s.anchor),
                        tag: cstring(s.tag),
                    }
                }
                unsafe_yaml::YAML_SEQUENCE_START_EVENT => Event::SequenceStart {
                    anchor: cstring(e.data.sequence_start.anchor),
                    tag: cstring(e.data.sequence_start.tag),
                },
                unsafe_yaml::YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
                unsafe_yaml::YAML_MAPPING_START_EVENT => Event::MappingStart {
                    anchor: cstring(e.data.mapping_start.anchor),
                    tag: cstring(e.data.mapping_start.tag),
                },
                unsafe_yaml::YAML_MAPPING_END_EVENT => Event::MappingEnd,
                _ => Event::StreamEnd,
            };
            unsafe_yaml::yaml_event_delete(ev.as_mut_ptr());
            Some(Ok((out, at)))
        }
    }
}

impl Drop for Events<'_> {
    fn drop(&mut self) {
        // SAFETY: the parser was initialised in `new` (a failed init is marked done and still
        // safe to delete: libyaml zeroes the struct first).
        unsafe { unsafe_yaml::yaml_parser_delete(self.parser.as_mut_ptr()) }
    }
}
