//! The loader's driver: which files, which variables, and the order the passes run in.

use super::canonical;
use super::dotenv;
use super::files::FileSystem;
use super::interpolate::{self, Env};
use super::merge;
use super::model::{KeyTree, Project};
use super::node::{Map, Node, Pos, Value};
use super::parse::{self, Limits};
use super::paths::{absolute, clean_path};
use super::{Ctx, LoadError};
use crate::diag::{Diagnostic, Failure, Location};
use std::collections::{BTreeMap, HashMap};

mod compose_env;
pub use compose_env::compose_file_paths;

/// What to load, as the command line or an embedder says it.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `-f` files as given (relative to `working_dir`), `-` for standard input. Empty = look
    /// for `compose.yaml` and friends in `working_dir`.
    pub files: Vec<String>,
    /// `--project-directory`: the folder relative paths in the files are taken from (default: the
    /// first file's folder).
    pub project_directory: Option<String>,
    /// `-p`: the project's name (default: `name:`, `COMPOSE_PROJECT_NAME`, or the folder's name).
    pub project_name: Option<String>,
    /// `--env-file` files; empty = the project directory's `.env`.
    pub env_files: Vec<String>,
    /// `--profile`: the profiles whose services are active.
    pub profiles: Vec<String>,
    /// The variables the process environment supplies. Only what is given here is seen: the
    /// loader never reads the process environment itself.
    pub environment: BTreeMap<String, String>,
    /// The directory relative paths on the command line are taken from (absolute).
    pub working_dir: String,
    /// The home directory for `~` (defaults to `environment["HOME"]`).
    pub home: Option<String>,
    /// Size and nesting limits of each file read (`--max-file-size`, `--max-depth`,
    /// `--max-alias-nodes`).
    pub limits: Limits,
    /// What a key the Compose schema does not know is: an error, as in Docker Compose, or a
    /// warning (`--lenient`).
    pub unknown_keys: UnknownKeys,
}

/// How the loader treats keys the Compose schema does not know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownKeys {
    /// Refused, as Docker Compose refuses them (C017).
    #[default]
    Error,
    /// Reported as warnings (C100) and ignored.
    Warn,
}

/// At most this many schema violations are reported from one run.
const MAX_VIOLATIONS: usize = 50;

/// A loaded project and the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The loaded, resolved project.
    pub project: Project,
    /// Warnings of the loader, in the order found.
    pub warnings: Vec<Diagnostic>,
}

const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
const OVERRIDE_FILES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Load a project. See the module docs of [`crate::compose`] for the stages.
pub fn load(opts: &LoadOptions, fs: &dyn FileSystem) -> Result<Loaded, Failure> {
    let mut l = Loader {
        fs,
        opts,
        files: Vec::new(),
        warnings: Vec::new(),
        home: opts
            .home
            .clone()
            .or_else(|| opts.environment.get("HOME").cloned())
            .unwrap_or_else(|| "/root".into()),
        unset: Vec::new(),
        extended_files: HashMap::new(),
        violations: Vec::new(),
        parsed_early: HashMap::new(),
        schema: None,
    };
    l.run().map_err(|e| {
        let mut all = std::mem::take(&mut l.violations);
        // The loader's own error at a value the schema flagged says the same thing in its
        // own terms (a byte size, a port): it takes the schema's place.
        let at = |d: &Diagnostic| {
            (
                d.location.file.clone(),
                d.location.line,
                d.location.column,
                d.location.path.clone(),
            )
        };
        match all.iter().position(|d| at(d) == at(&e)) {
            Some(i) => all[i] = *e,
            None => all.push(*e),
        }
        Failure(all)
    })
}

pub(super) struct Loader<'a> {
    fs: &'a dyn FileSystem,
    opts: &'a LoadOptions,
    /// Display names of every file read, indexed by `Pos::file`.
    pub files: Vec<String>,
    pub warnings: Vec<Diagnostic>,
    pub home: String,
    /// Every reference to an unset variable, warned about once loading is done.
    unset: Vec<super::unset::Use>,
    /// Files that `extends` names, loaded once per document: a file of twenty services that
    /// each extend a service of the same base file reads and parses the base once, not twenty
    /// times (the environment, and so the result, is the same within a document).
    extended_files: HashMap<String, Node>,
    /// Schema violations that are errors, reported together once the files are merged.
    violations: Vec<Diagnostic>,
    /// `-f` files parsed early to find their `name` (`${COMPOSE_PROJECT_NAME}`), by path:
    /// [`Loader::load_file`] takes them instead of parsing the file a second time.
    parsed_early: HashMap<String, Vec<Node>>,
    /// The Compose schema, compiled at the first check and dropped with the loader.
    schema: Option<super::schema::Compiled>,
}

/// From this many services on, loading uses a second thread ([`crate::parallel`]).
const PARALLEL_MIN_SERVICES: usize = 64;

/// compose-go's `NormalizeProjectName`: lowercase, only `[a-z0-9_-]`, no leading `_`/`-`.
fn normalize_project_name(s: &str) -> String {
    let norm: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    norm.trim_start_matches(['_', '-']).to_string()
}

impl Loader<'_> {
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            files: &self.files,
            home: &self.home,
            working_dir: &self.opts.working_dir,
        }
    }

    /// How a path is shown in messages: relative to the working directory when below it.
    fn display(&self, path: &str) -> String {
        let wd = self.opts.working_dir.trim_end_matches('/');
        match path.strip_prefix(wd).and_then(|r| r.strip_prefix('/')) {
            Some(rel) if !wd.is_empty() => rel.to_string(),
            _ => path.to_string(),
        }
    }

    fn read(
        &mut self,
        path: &str,
        what: &str,
        at: Option<(Pos, &str)>,
    ) -> Result<Vec<u8>, LoadError> {
        self.fs.read(path).map_err(|e| {
            let msg = format!("cannot read {what} `{}`: {e}", self.display(path));
            match at {
                Some((pos, key)) => self.ctx().error("C020", pos, key, msg),
                None => Box::new(Diagnostic::error(
                    "C020",
                    Location::file(self.display(path)),
                    msg,
                )),
            }
        })
    }

    fn run(&mut self) -> Result<Loaded, LoadError> {
        let wd = clean_path(&self.opts.working_dir);
        // 0. The COMPOSE_* variables decide the files, env files and more.
        let resolved = self.compose_variables(&wd)?;
        let opts = &resolved;
        // 1. Files.
        let files: Vec<String> = if opts.files.is_empty() {
            self.discover(&wd)?
        } else {
            opts.files
                .iter()
                .map(|f| {
                    if f == "-" {
                        "-".to_string()
                    } else {
                        absolute(&wd, f, &self.ctx())
                    }
                })
                .collect()
        };
        // 2. Project directory.
        let project_dir = match &opts.project_directory {
            Some(d) => absolute(&wd, d, &self.ctx()),
            None => files
                .iter()
                .find(|f| *f != "-")
                .map(|f| parent(f))
                .unwrap_or_else(|| wd.clone()),
        };
        // 3. Project environment: the process environment wins; env files fill the gaps.
        let mut env: Env = opts.environment.clone();
        env.entry("PWD".into()).or_insert_with(|| wd.clone());
        let env_files: Vec<(String, bool)> = if opts.env_files.is_empty() {
            if env
                .get("COMPOSE_DISABLE_ENV_FILE")
                .is_some_and(|v| is_true(v))
            {
                Vec::new()
            } else {
                vec![(format!("{project_dir}/.env"), false)]
            }
        } else {
            opts.env_files
                .iter()
                .map(|f| (absolute(&wd, f, &self.ctx()), true))
                .collect()
        };
        let mut from_files: Env = BTreeMap::new();
        for (path, required) in env_files {
            if !required && !self.fs.exists(&path) {
                continue;
            }
            let bytes = self.read(&path, "env file", None)?;
            let entries =
                self.dotenv(&bytes, &path, &|k| opts.environment.get(k).cloned(), &|k| {
                    from_files.get(k).cloned()
                })?;
            for (k, v) in entries {
                if let Some(v) = v {
                    from_files.insert(k, v);
                }
            }
        }
        for (k, v) in from_files {
            env.entry(k).or_insert(v);
        }
        // `${COMPOSE_PROJECT_NAME}` is the project name, known before the files are read.
        let derived_name = opts.project_name.is_none()
            && env.get("COMPOSE_PROJECT_NAME").is_none_or(String::is_empty);
        let name_var = match &opts.project_name {
            Some(n) => n.clone(),
            None if derived_name => self.name_for_interpolation(&files, &env, &project_dir),
            None => env["COMPOSE_PROJECT_NAME"].clone(),
        };
        env.insert("COMPOSE_PROJECT_NAME".into(), name_var);
        // 4. Parse, interpolate and expand each file; resolve extends and include.
        let mut merged: Option<Node> = None;
        for file in &files {
            for doc in self.load_file(file, &project_dir, &env, None)? {
                match &mut merged {
                    None => merged = Some(doc),
                    Some(m) => merge::merge_files(m, doc),
                }
            }
        }
        let Some(mut root) = merged else {
            return Err(Box::new(Diagnostic::error(
                "C004",
                Location::file(self.display(files.first().map(String::as_str).unwrap_or("-"))),
                "empty compose file",
            )));
        };
        merge::strip_resets(&mut root);
        merge::enforce_unicity(&mut root);
        self.check_schema(&root, super::schema::Pass::Merged);
        if let Some(first) = self.violations.first() {
            return Err(Box::new(first.clone()));
        }
        canonical::default_build_context(&mut root, &project_dir);
        super::validate::shapes(&root, &self.ctx())?;
        super::validate::file_objects(&root, &self.ctx())?;
        // 5. Project name.
        if derived_name {
            env.remove("COMPOSE_PROJECT_NAME");
        }
        let name = self.project_name(&root, &env, &project_dir)?;
        env.insert("COMPOSE_PROJECT_NAME".into(), name.clone());
        // 6. Profiles, normalisation, typing, validation.
        let profiles: Vec<String> = if !opts.profiles.is_empty() {
            opts.profiles.clone()
        } else {
            env.get("COMPOSE_PROFILES")
                .map(|p| {
                    p.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let ctx = Ctx {
            files: &self.files,
            home: &self.home,
            working_dir: &self.opts.working_dir,
        };
        let disabled = super::normalize::apply_profiles(&mut root, &profiles, &ctx)?;
        super::normalize::normalize(&mut root, &name, &ctx)?;
        let fs = self.fs;
        let mut read_env_file =
            |path: &str, at: Pos, key: &str| -> Result<Option<Vec<u8>>, LoadError> {
                if !fs.exists(path) {
                    return Ok(None);
                }
                fs.read(path).map(Some).map_err(|e| {
                    ctx.error(
                        "C020",
                        at,
                        key,
                        format!("cannot read env file `{}`: {e}", ctx.display(path)),
                    )
                })
            };
        let mut warnings = super::unset::warnings(std::mem::take(&mut self.unset));
        warnings.append(&mut self.warnings);
        super::normalize::resolve_environment(
            &mut root,
            &env,
            &ctx,
            &mut read_env_file,
            &mut warnings,
        )?;
        let services = root.get("services").and_then(Node::as_map);
        let key_trees = || {
            services.map(|s| {
                s.iter()
                    .map(|(k, v)| (k.clone(), KeyTree::of(v)))
                    .collect::<indexmap::IndexMap<_, _>>()
            })
        };
        let typed = |warnings: &mut Vec<Diagnostic>| -> Result<Project, LoadError> {
            let mut project = super::typed::project(&root, &ctx, warnings)?;
            project.name = name;
            project.working_dir = project_dir;
            project.disabled_services = disabled;
            project.environment = env.clone();
            project.origins.files = self.files.clone();
            super::validate::validate(&mut project, &root, &ctx, warnings)?;
            Ok(project)
        };
        // The key trees (where each key is, for messages) need only the tree: on a large
        // project they are built beside the typing.
        let (project, trees) = if services.map_or(0, |s| s.len()) >= PARALLEL_MIN_SERVICES {
            crate::parallel::both(|| typed(&mut warnings), key_trees)
        } else {
            (typed(&mut warnings), key_trees())
        };
        let mut project = project?;
        if let Some(trees) = trees {
            project.origins.services = std::sync::Arc::new(trees);
        }
        // The typing pass warns about keys it does not read; the schema may have said so first.
        let mut unknown = std::collections::HashSet::new();
        warnings.retain(|w| w.code != "C100" || unknown.insert(w.location.clone()));
        Ok(Loaded { project, warnings })
    }

    fn discover(&mut self, wd: &str) -> Result<Vec<String>, LoadError> {
        let mut dir = wd.to_string();
        loop {
            let found: Vec<&str> = DEFAULT_FILES
                .iter()
                .copied()
                .filter(|f| self.fs.exists(&format!("{dir}/{f}")))
                .collect();
            if let Some(first) = found.first() {
                if found.len() > 1 {
                    self.warnings.push(Diagnostic::warning(
                        "C005",
                        Location::file(format!("{dir}/{first}")),
                        format!(
                            "found several Compose files ({}); using {first}",
                            found.join(", ")
                        ),
                    ));
                }
                let mut files = vec![format!("{dir}/{first}")];
                if let Some(o) = OVERRIDE_FILES
                    .iter()
                    .find(|o| self.fs.exists(&format!("{dir}/{o}")))
                {
                    files.push(format!("{dir}/{o}"));
                }
                return Ok(files);
            }
            if dir == "/" || dir.is_empty() {
                break;
            }
            dir = parent(&dir);
        }
        Err(Box::new(Diagnostic::error(
            "C006",
            Location::file(wd),
            "no Compose file found: looked for compose.yaml, compose.yml, docker-compose.yml and docker-compose.yaml here and in every parent folder (use -f FILE)",
        )))
    }

    /// Record what the Compose schema finds wrong in `doc`: errors are kept for one report
    /// (the same place found twice, as a file read again by `extends`, counts once); unknown
    /// keys are warnings when the options say so.
    fn check_schema(&mut self, doc: &Node, pass: super::schema::Pass) {
        use super::schema::Problem;
        let schema = self.schema.get_or_insert_with(super::schema::Compiled::new);
        for v in schema.check(doc, pass) {
            let ctx = self.ctx();
            let d = match &v.problem {
                Problem::Unknown { key, suggestion } => {
                    let hint = suggestion
                        .as_ref()
                        .map(|s| format!(", did you mean `{s}`?"))
                        .unwrap_or_default();
                    if self.opts.unknown_keys == UnknownKeys::Warn {
                        let msg = format!("unknown key `{key}` is ignored{hint}");
                        let w = ctx.warning("C100", v.at, &v.path, msg);
                        if !self.warnings.contains(&w) {
                            self.warnings.push(w);
                        }
                        continue;
                    }
                    let msg = format!(
                        "unknown key `{key}`{hint} (Docker Compose refuses it; --lenient warns instead)"
                    );
                    *ctx.error("C017", v.at, &v.path, msg)
                }
                Problem::BadName { key, pattern } => *ctx.error(
                    "C011",
                    v.at,
                    &v.path,
                    format!("`{key}` does not match the pattern `{pattern}`"),
                ),
                Problem::Missing { key } => *ctx.error(
                    "C018",
                    v.at,
                    &v.path,
                    format!("missing required key `{key}`"),
                ),
                Problem::Below { minimum } => *ctx.error(
                    "C011",
                    v.at,
                    &v.path,
                    format!("must be greater than or equal to {minimum}"),
                ),
                Problem::WrongType { found, expected } => {
                    // In the words of the loader's own type errors.
                    let word = |t: &str| match t {
                        "object" => "a mapping",
                        "array" => "a list",
                        "string" => "a string",
                        "integer" => "an integer",
                        "number" => "a number",
                        "boolean" => "a boolean",
                        _ => "null",
                    };
                    let wanted: Vec<&str> = expected.iter().map(|t| word(t)).collect();
                    *ctx.error(
                        "C011",
                        v.at,
                        &v.path,
                        format!("must be {}, not {}", wanted.join(" or "), word(found)),
                    )
                }
            };
            if !self.violations.contains(&d) && self.violations.len() < MAX_VIOLATIONS {
                self.violations.push(d);
            }
        }
    }

    fn dotenv(
        &mut self,
        bytes: &[u8],
        path: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
        fallback: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<(String, Option<String>)>, LoadError> {
        let name = self.display(path);
        let text = String::from_utf8_lossy(bytes);
        let entries = dotenv::parse_layered(&text, lookup, fallback, false).map_err(|e| {
            Box::new(Diagnostic::error(
                "C021",
                Location::new(name, e.line, e.col, ""),
                e.message,
            ))
        })?;
        Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
    }

    /// Parse one Compose file and bring each document to long form with `extends` and
    /// `include` resolved. `base_dir` resolves relative paths.
    fn load_file(
        &mut self,
        path: &str,
        base_dir: &str,
        env: &Env,
        at: Option<(Pos, &str)>,
    ) -> Result<Vec<Node>, LoadError> {
        let bytes = self.read(path, "Compose file", at)?;
        let file_id = self.files.len() as u32;
        let display = self.display(path);
        self.files.push(display.clone());
        let docs = match self.parsed_early.remove(path) {
            Some(mut docs) => {
                docs.iter_mut().for_each(|d| d.set_file(file_id));
                docs
            }
            None => parse::parse(&bytes, &display, file_id, &self.opts.limits).map_err(Box::new)?,
        };
        let mut out = Vec::new();
        for mut doc in docs {
            if doc.is_null() {
                continue;
            }
            if doc.as_map().is_none() {
                return Err(self.ctx().error(
                    "C010",
                    doc.at,
                    "",
                    format!("a Compose file must be a mapping, not {}", doc.kind_name()),
                ));
            }
            self.interpolate(&mut doc, env, &mut String::new())?;
            self.check_schema(&doc, super::schema::Pass::File);
            canonical::canonicalize(&mut doc, &self.ctx(), base_dir)?;
            self.resolve_extends(&mut doc, path, base_dir, env)?;
            self.resolve_include(&mut doc, base_dir, env)?;
            out.push(doc);
        }
        Ok(out)
    }

    /// Interpolate every string value (never keys), recording the key path for errors.
    fn interpolate(&mut self, n: &mut Node, env: &Env, path: &mut String) -> Result<(), LoadError> {
        match &mut n.value {
            Value::Str(s) if interpolate::needs_interpolation(s) => {
                let mut unset = Vec::new();
                let lookup = |k: &str| env.get(k).cloned();
                let out = interpolate::interpolate(s, &lookup, &mut unset)
                    .map_err(|e| self.ctx().error("C030", n.at, path, e.to_string()))?;
                for var in unset {
                    let warning = self.ctx().warning(
                        "C031",
                        n.at,
                        path,
                        format!("the variable `{var}` is not set; defaulting to a blank string"),
                    );
                    self.unset.push(super::unset::Use {
                        var,
                        in_environment: super::unset::in_environment(path),
                        warning,
                    });
                }
                *s = out;
            }
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push('[');
                    crate::text::push_decimal(path, i as u64);
                    path.push(']');
                    self.interpolate(item, env, path)?;
                    path.truncate(len);
                }
            }
            Value::Map(m) => {
                for (k, v) in m.iter_mut() {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    self.interpolate(v, env, path)?;
                    path.truncate(len);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn project_name(&self, root: &Node, env: &Env, project_dir: &str) -> Result<String, LoadError> {
        let (name, source) = if let Some(n) = &self.opts.project_name {
            (n.clone(), None)
        } else if let Some(n) = env.get("COMPOSE_PROJECT_NAME").filter(|n| !n.is_empty()) {
            (n.clone(), None)
        } else if let Some(n) = root
            .get("name")
            .and_then(Node::scalar_string)
            .map(|n| normalize_project_name(&n))
            .filter(|n| !n.is_empty())
        {
            // compose-go normalises the file's `name` (`myProject` → `myproject`); only
            // `-p` and COMPOSE_PROJECT_NAME must already be valid.
            (n, root.get("name").map(|n| n.at))
        } else {
            let base = project_dir.rsplit('/').next().unwrap_or("");
            (normalize_project_name(base), None)
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid {
            let msg = format!(
                "project name `{name}` must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit"
            );
            return Err(match source {
                Some(at) => self.ctx().error("C007", at, "name", msg),
                None => Box::new(Diagnostic::error("C007", Location::file(project_dir), msg)),
            });
        }
        Ok(name)
    }

    /// Replace each service's `extends` with the merged result, recursively.
    fn resolve_extends(
        &mut self,
        doc: &mut Node,
        path: &str,
        base_dir: &str,
        env: &Env,
    ) -> Result<(), LoadError> {
        let Some(services) = doc.get("services").and_then(Node::as_map) else {
            return Ok(());
        };
        let names: Vec<String> = services
            .iter()
            .filter(|(_, s)| s.get("extends").is_some())
            .map(|(k, _)| k.clone())
            .collect();
        self.extended_files.clear();
        for name in names {
            let mut stack = vec![(path.to_string(), name.clone())];
            let resolved = self.extended_service(doc, &name, path, base_dir, env, &mut stack)?;
            if let Some(s) = doc
                .as_map_mut()
                .and_then(|m| m.get_mut("services"))
                .and_then(Node::as_map_mut)
            {
                s.insert(name, resolved);
            }
        }
        Ok(())
    }

    /// The service `name` of `doc` with its `extends` chain merged in.
    fn extended_service(
        &mut self,
        doc: &Node,
        name: &str,
        path: &str,
        base_dir: &str,
        env: &Env,
        stack: &mut Vec<(String, String)>,
    ) -> Result<Node, LoadError> {
        let svc = doc
            .get("services")
            .and_then(|s| s.get(name))
            .cloned()
            .ok_or_else(|| {
                self.ctx().error(
                    "C040",
                    doc.at,
                    "services",
                    format!(
                        "cannot extend service `{name}`: no such service in `{}`",
                        self.display(path)
                    ),
                )
            })?;
        let Some(ext) = svc.get("extends").cloned() else {
            return Ok(svc);
        };
        let key = format!("services.{name}.extends");
        let (base_name, file) = match &ext.value {
            Value::Str(s) => (s.clone(), None),
            Value::Map(m) => {
                let s = m.get("service").and_then(Node::as_str).ok_or_else(|| {
                    self.ctx()
                        .error("C041", ext.at, &key, "`extends` needs a `service`")
                })?;
                (
                    s.to_string(),
                    m.get("file").and_then(Node::as_str).map(str::to_string),
                )
            }
            _ => {
                return Err(self.ctx().error(
                    "C041",
                    ext.at,
                    &key,
                    format!(
                        "`extends` must be a service name or a mapping, not {}",
                        ext.kind_name()
                    ),
                ));
            }
        };
        let (base_node, base_path, base_base) = match file {
            Some(f) => {
                let file_path = absolute(&parent(path), &f, &self.ctx());
                let other_base = parent(&file_path);
                if stack
                    .iter()
                    .any(|(p, s)| *p == file_path && *s == base_name)
                {
                    return Err(self.cycle_error(ext.at, &key, stack, &file_path, &base_name));
                }
                let d = match self.extended_files.get(&file_path) {
                    Some(d) => d.clone(),
                    None => {
                        let docs =
                            self.load_file_plain(&file_path, &other_base, env, (ext.at, &key))?;
                        let merged = docs.into_iter().reduce(|mut a, b| {
                            merge::merge_files(&mut a, b);
                            a
                        });
                        let d = merged.unwrap_or_else(|| Node::map(Map::default(), ext.at));
                        self.extended_files.insert(file_path.clone(), d.clone());
                        d
                    }
                };
                (d, file_path, other_base)
            }
            None => {
                if stack.iter().any(|(p, s)| p == path && *s == base_name) {
                    return Err(self.cycle_error(ext.at, &key, stack, path, &base_name));
                }
                (doc.clone(), path.to_string(), base_dir.to_string())
            }
        };
        stack.push((base_path.clone(), base_name.clone()));
        let mut base =
            self.extended_service(&base_node, &base_name, &base_path, &base_base, env, stack)?;
        stack.pop();
        let mut local = svc;
        if let Some(m) = local.as_map_mut() {
            m.shift_remove("extends");
        }
        if let Some(m) = base.as_map_mut() {
            m.shift_remove("extends");
        }
        let key_at = local.key_at;
        merge::merge_service(&mut base, local);
        base.key_at = key_at;
        Ok(base)
    }

    fn cycle_error(
        &self,
        at: Pos,
        key: &str,
        stack: &[(String, String)],
        file: &str,
        svc: &str,
    ) -> LoadError {
        let chain: Vec<String> = stack
            .iter()
            .map(|(_, s)| s.clone())
            .chain(std::iter::once(svc.to_string()))
            .collect();
        self.ctx().error(
            "C042",
            at,
            key,
            format!(
                "circular `extends`: {} (in `{}`)",
                chain.join(" -> "),
                self.display(file)
            ),
        )
    }

    /// Load a file for `extends`: parsed, interpolated, canonical; its own extends are
    /// resolved lazily by the caller's recursion.
    fn load_file_plain(
        &mut self,
        path: &str,
        base_dir: &str,
        env: &Env,
        at: (Pos, &str),
    ) -> Result<Vec<Node>, LoadError> {
        let bytes = self.read(path, "Compose file", Some(at))?;
        let file_id = self.files.len() as u32;
        let display = self.display(path);
        self.files.push(display.clone());
        let docs = parse::parse(&bytes, &display, file_id, &self.opts.limits).map_err(Box::new)?;
        let mut out = Vec::new();
        for mut doc in docs {
            if doc.is_null() {
                continue;
            }
            self.interpolate(&mut doc, env, &mut String::new())?;
            self.check_schema(&doc, super::schema::Pass::File);
            canonical::canonicalize(&mut doc, &self.ctx(), base_dir)?;
            out.push(doc);
        }
        Ok(out)
    }

    /// Bring in each `include` entry as its own project and add its resources.
    fn resolve_include(
        &mut self,
        doc: &mut Node,
        base_dir: &str,
        env: &Env,
    ) -> Result<(), LoadError> {
        let Some(inc) = doc.as_map_mut().and_then(|m| m.shift_remove("include")) else {
            return Ok(());
        };
        let Some(items) = inc.as_seq() else {
            return Err(self
                .ctx()
                .error("C050", inc.at, "include", "`include` must be a list"));
        };
        thread_local! {
            static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        }
        for (i, item) in items.iter().enumerate() {
            let key = format!("include[{i}]");
            let (paths, project_dir, env_files): (Vec<String>, Option<String>, Vec<String>) =
                match &item.value {
                    Value::Str(s) => (vec![s.clone()], None, Vec::new()),
                    Value::Map(m) => {
                        let paths = match m.get("path").map(|p| &p.value) {
                            Some(Value::Str(s)) => vec![s.clone()],
                            Some(Value::Seq(s)) => {
                                s.iter().filter_map(Node::scalar_string).collect()
                            }
                            _ => {
                                return Err(self.ctx().error(
                                    "C050",
                                    item.at,
                                    &key,
                                    "an `include` entry needs a `path`",
                                ));
                            }
                        };
                        let pd = m.get("project_directory").and_then(Node::scalar_string);
                        let ef = match m.get("env_file").map(|p| &p.value) {
                            Some(Value::Str(s)) => vec![s.clone()],
                            Some(Value::Seq(s)) => {
                                s.iter().filter_map(Node::scalar_string).collect()
                            }
                            _ => Vec::new(),
                        };
                        (paths, pd, ef)
                    }
                    _ => {
                        return Err(self.ctx().error(
                            "C050",
                            item.at,
                            &key,
                            "an `include` entry must be a path or a mapping",
                        ));
                    }
                };
            let abs: Vec<String> = paths
                .iter()
                .map(|p| absolute(base_dir, p, &self.ctx()))
                .collect();
            let Some(first) = abs.first() else { continue };
            let inc_dir = project_dir
                .map(|d| absolute(base_dir, &d, &self.ctx()))
                .unwrap_or_else(|| parent(first));
            // The included project sees its own .env, overridden by the including environment.
            let mut inc_env = env.clone();
            let env_paths: Vec<(String, bool)> = if env_files.is_empty() {
                vec![(format!("{inc_dir}/.env"), false)]
            } else {
                env_files
                    .iter()
                    .map(|f| (absolute(base_dir, f, &self.ctx()), true))
                    .collect()
            };
            for (p, required) in env_paths {
                if !required && !self.fs.exists(&p) {
                    continue;
                }
                let bytes = self.read(&p, "env file", Some((item.at, &key)))?;
                let lookup_env = env.clone();
                for (k, v) in self.dotenv(&bytes, &p, &|k| lookup_env.get(k).cloned(), &|_| None)? {
                    if let Some(v) = v {
                        inc_env.entry(k).or_insert(v);
                    }
                }
            }
            let depth = DEPTH.with(|d| d.get());
            if depth > 32 {
                return Err(self.ctx().error(
                    "C051",
                    item.at,
                    &key,
                    "`include` nests more than 32 levels deep (circular include?)",
                ));
            }
            DEPTH.with(|d| d.set(depth + 1));
            let mut merged: Option<Node> = None;
            let result = (|| -> Result<(), LoadError> {
                for p in &abs {
                    for d in self.load_file(p, &inc_dir, &inc_env, Some((item.at, &key)))? {
                        match &mut merged {
                            None => merged = Some(d),
                            Some(m) => merge::merge_files(m, d),
                        }
                    }
                }
                Ok(())
            })();
            DEPTH.with(|d| d.set(depth));
            result?;
            let Some(included) = merged else { continue };
            let (Some(target), Value::Map(src)) = (doc.as_map_mut(), included.value) else {
                continue;
            };
            for section in [
                "services", "volumes", "networks", "secrets", "configs", "models",
            ] {
                let Some(Node {
                    value: Value::Map(items),
                    at,
                    ..
                }) = src.get(section).cloned()
                else {
                    continue;
                };
                let dst = target
                    .entry(section.to_string())
                    .or_insert_with(|| Node::map(Map::default(), at));
                if dst.is_null() {
                    dst.value = Value::Map(Map::default());
                }
                if let Some(dm) = dst.as_map_mut() {
                    for (k, v) in items {
                        // As Docker Compose: a name both files define must be defined alike.
                        if let Some(own) = dm.get(&k) {
                            if super::typed::to_json(own) != super::typed::to_json(&v) {
                                return Err(self.ctx().error(
                                    "C087",
                                    own.key_at,
                                    &format!("{section}.{k}"),
                                    format!(
                                        "`{section}.{k}` is also defined, differently, by an included file (at {})",
                                        self.ctx().location(v.key_at, "")
                                    ),
                                ));
                            }
                            continue;
                        }
                        dm.insert(k, v);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The folder of a path (`/a/b/c.yaml` → `/a/b`).
pub fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) => "/".into(),
        Some((p, _)) => p.to_string(),
        None => ".".into(),
    }
}

pub fn is_true(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "on"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::MemoryFs;

    fn run(yaml: &str, unknown_keys: UnknownKeys) -> Result<Loaded, Failure> {
        let mut fs = MemoryFs::new();
        fs.insert("/p/compose.yaml", yaml.as_bytes().to_vec());
        let opts = LoadOptions {
            working_dir: "/p".into(),
            unknown_keys,
            ..LoadOptions::default()
        };
        load(&opts, &fs)
    }

    #[test]
    fn schema_violations_are_capped_and_lenient_warns() {
        let mut yaml = String::from("services:\n  web:\n    image: x\n");
        for i in 0..60 {
            yaml.push_str(&format!("    bad{i}: 1\n"));
        }
        let errors = run(&yaml, UnknownKeys::Error).unwrap_err().0;
        assert_eq!(errors.len(), MAX_VIOLATIONS);
        assert!(errors.iter().all(|e| e.code == "C017"));
        assert_eq!(errors[0].location.path, "services.web.bad0");
        let loaded = run(&yaml, UnknownKeys::Warn).unwrap();
        let c100 = loaded.warnings.iter().filter(|w| w.code == "C100").count();
        assert_eq!(c100, 60);
    }

    #[test]
    fn project_name_variable_follows_the_command_line_name() {
        let mut fs = MemoryFs::new();
        let yaml = "name: fromfile\nservices:\n  web:\n    image: x\n    container_name: ${COMPOSE_PROJECT_NAME}-web\n";
        fs.insert("/p/compose.yaml", yaml.as_bytes().to_vec());
        let opts = LoadOptions {
            working_dir: "/p".into(),
            project_name: Some("cli".into()),
            ..LoadOptions::default()
        };
        let p = load(&opts, &fs).unwrap().project;
        assert_eq!(p.name, "cli");
        assert_eq!(p.services["web"].container_name.as_deref(), Some("cli-web"));
    }
}
