//! The one fixture driver: a fixture folder → options → [`convert_with`] → the `Conversion`
//! (its rendered output and diagnostics), through the library's public API and the command
//! line's flag mapping only.
//!
//! A fixture is a folder with a `compose.yaml`, the files it refers to, and optionally `args`:
//! `kubeferry convert` options, one per line (`--flag value` or `--flag=value`; `#` starts a
//! comment). The args go through the command line's own flag mapping (`cli::options`,
//! `cli::input_load_options`), so a fixture converts as `kubeferry convert ARGS` would. A
//! family of fixtures may add default args (`--harden none` for `fixtures/convert`) that a
//! fixture's own args override. The folder is copied into memory (at `/project`, or at
//! `/fixtures/<name>` where the project takes the folder's name) and converted with an
//! explicit, empty environment, so nothing depends on the machine or the checkout's path.
//! Without `-f` among the args the project is `compose.yaml`, or else what Docker Compose
//! finds in the folder.

use clap::Parser;
use kubeferry::compose::{LoadOptions, MemoryFs, RealFs};
use kubeferry::{Conversion, Failure, Options, convert_with};
use std::path::{Path, PathBuf};

/// Where a fixture's files are, for the conversion (unless [`Fixture::named`]).
pub const ROOT: &str = "/project";

/// Every fixture folder (one with a `compose.yaml`) under `fixtures/<family>`, sorted.
pub fn family(family: &str) -> Vec<PathBuf> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(family);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap_or_else(|e| panic!("{}: {e}", base.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("compose.yaml").is_file())
        .collect();
    v.sort();
    v
}

/// One fixture, its args parsed.
pub struct Fixture {
    pub dir: PathBuf,
    /// The `kubeferry convert` arguments (the family's defaults, then the folder's `args`).
    pub args: Vec<String>,
    /// The folder the files are at (in memory, unless [`Fixture::on_disk`]).
    pub root: String,
    on_disk: bool,
    convert: crate::cli::ConvertArgs,
}

impl Fixture {
    /// The fixture in `dir` (a folder, or its `compose.yaml`), with `defaults` (flag and value
    /// pairs) for every flag its `args` file does not give.
    pub fn new(dir: &Path, defaults: &[&str]) -> Fixture {
        assert!(defaults.len().is_multiple_of(2), "defaults are flag and value pairs");
        let dir = if dir.is_file() {
            dir.parent().unwrap()
        } else {
            dir
        };
        let own = args_file(dir);
        let mut args: Vec<String> = defaults
            .chunks(2)
            .filter(|kv| !own.iter().any(|a| flag_name(a) == kv[0]))
            .flatten()
            .map(|s| s.to_string())
            .collect();
        args.extend(own);
        let argv = ["kubeferry", "convert"]
            .into_iter()
            .map(String::from)
            .chain(args.iter().cloned());
        let parsed = crate::cli::Cli::try_parse_from(argv)
            .unwrap_or_else(|e| panic!("{}: the args parse: {e}", dir.display()));
        let crate::cli::Command::Convert(convert) = parsed.command else {
            unreachable!("convert was given")
        };
        Fixture {
            dir: dir.to_path_buf(),
            args,
            root: ROOT.into(),
            on_disk: false,
            convert,
        }
    }

    /// The files at `/fixtures/<name>`, so the project is named after the folder.
    pub fn named(mut self) -> Fixture {
        self.root = format!("/fixtures/{}", self.name());
        self
    }

    /// The files read where they are, for tests that hand the same folder to another reader
    /// (the staged plan's classification) on the real file system.
    pub fn on_disk(mut self) -> Fixture {
        self.root = self.dir.to_string_lossy().into_owned();
        self.on_disk = true;
        self
    }

    /// The folder's name.
    pub fn name(&self) -> String {
        self.dir.file_name().unwrap().to_string_lossy().into_owned()
    }

    /// The options `kubeferry convert` gives the library for these args.
    pub fn options(&self) -> Options {
        self.try_options()
            .unwrap_or_else(|e| panic!("{}: the args map: {e}", self.dir.display()))
    }

    /// The options for these args, or the command line's usage error.
    pub fn try_options(&self) -> Result<Options, String> {
        crate::cli::options(&self.convert)
    }

    /// `--strict` is among the args (warnings count as errors, as the command line has it).
    pub fn strict(&self) -> bool {
        self.convert.input.strict
    }

    /// The value of `--flag` among the args, if given.
    pub fn arg(&self, flag: &str) -> Option<String> {
        let i = self.args.iter().position(|a| flag_name(a) == flag)?;
        match self.args[i].split_once('=') {
            Some((_, v)) => Some(v.to_string()),
            None => self.args.get(i + 1).cloned(),
        }
    }

    /// The loader options: those of the input flags (`-f`, `--profile`, `--lenient`, ...),
    /// at the root, with no variables; without `-f`, `compose.yaml`, or else the files Docker
    /// Compose finds in the folder.
    pub fn load_options(&self) -> LoadOptions {
        let mut load = crate::cli::input_load_options(&self.convert.input, self.root.clone());
        if load.files.is_empty() && self.dir.join("compose.yaml").is_file() {
            load.files = vec!["compose.yaml".into()];
        }
        for f in &mut load.files {
            *f = format!("{}/{f}", self.root);
        }
        load.home = Some("/home/user".into());
        load
    }

    /// Convert with the fixture's own options.
    pub fn run(&self) -> Result<Conversion, Failure> {
        self.run_with(&self.options())
    }

    /// Convert with other options (a test that compares two settings on one fixture).
    pub fn run_with(&self, options: &Options) -> Result<Conversion, Failure> {
        if self.on_disk {
            convert_with(&self.load_options(), &RealFs::default(), options)
        } else {
            convert_with(&self.load_options(), &self.files(), options)
        }
    }

    /// Convert with Compose override files (name, contents) merged after `compose.yaml`, as
    /// `-f compose.yaml -f NAME` would.
    pub fn run_with_overrides(&self, overrides: &[(&str, String)]) -> Result<Conversion, Failure> {
        let mut load = self.load_options();
        let mut fs = self.files();
        for (name, text) in overrides {
            let path = format!("{}/{name}", self.root);
            fs.insert(path.clone(), text.as_bytes().to_vec());
            load.files.push(path);
        }
        convert_with(&load, &fs, &self.options())
    }

    /// Every file of the folder (recursively) under the root.
    pub fn files(&self) -> MemoryFs {
        let mut fs = MemoryFs::new();
        let mut stack = vec![self.dir.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(&self.dir).unwrap().to_string_lossy();
                    fs.insert(
                        format!("{}/{}", self.root, rel.replace('\\', "/")),
                        std::fs::read(&p).unwrap(),
                    );
                }
            }
        }
        fs
    }
}

/// The flag an argument gives (`--a=b` gives `--a`).
fn flag_name(arg: &str) -> &str {
    arg.split_once('=').map_or(arg, |(f, _)| f)
}

/// The `args` file: one option per line, split at its first space.
fn args_file(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .flat_map(|l| l.splitn(2, ' ').map(str::to_string).collect::<Vec<_>>())
        .collect()
}

