//! The `COMPOSE_*` variables, read as Docker Compose 2.40.3 reads them before loading.
//!
//! Takes the [`LoadOptions`] as given and returns them with what the variables decide filled
//! in: `COMPOSE_*` entries of the env files (the `--env-file`s, else `COMPOSE_ENV_FILES`, else
//! `.env` unless `COMPOSE_DISABLE_ENV_FILE`) join the environment where it lacks them, as the
//! `docker compose` command sets them into its own environment; `COMPOSE_FILE` (split on
//! `COMPOSE_PATH_SEPARATOR`, default `:`) stands for `-f`; `COMPOSE_ENV_FILES` (of the process
//! environment only: Compose reads it before any `.env`) stands for `--env-file`.
//! `COMPOSE_PROFILES`, `COMPOSE_PROJECT_NAME` and `COMPOSE_DISABLE_ENV_FILE` are read where
//! they apply, from the environment this returns.

use super::{Loader, is_true, parent};
use crate::compose::LoadError;
use crate::compose::LoadOptions;
use crate::compose::node::Node;
use crate::compose::paths::absolute;

impl Loader<'_> {
    pub(super) fn compose_variables(&mut self, wd: &str) -> Result<LoadOptions, LoadError> {
        let mut opts = self.opts.clone();
        let from_env = |k: &str| opts.environment.get(k).filter(|v| !v.is_empty()).cloned();
        if opts.env_files.is_empty()
            && let Some(files) = from_env("COMPOSE_ENV_FILES")
        {
            opts.env_files = files
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect();
        }
        let dotenv: Vec<(String, bool)> = if !opts.env_files.is_empty() {
            let ctx = self.ctx();
            opts.env_files
                .iter()
                .map(|f| (absolute(wd, f, &ctx), true))
                .collect()
        } else if from_env("COMPOSE_DISABLE_ENV_FILE").is_some_and(|v| is_true(&v)) {
            Vec::new()
        } else {
            let dir = match &opts.project_directory {
                Some(d) => absolute(wd, d, &self.ctx()),
                None => opts
                    .files
                    .iter()
                    .find(|f| *f != "-")
                    .map(|f| parent(&absolute(wd, f, &self.ctx())))
                    .unwrap_or_else(|| wd.to_string()),
            };
            vec![(format!("{dir}/.env"), false)]
        };
        for (path, required) in dotenv {
            if !required && !self.fs.exists(&path) {
                continue;
            }
            let bytes = self.read(&path, "env file", None)?;
            let environment = &opts.environment;
            let entries =
                self.dotenv(&bytes, &path, &|k| environment.get(k).cloned(), &|_| None)?;
            for (k, v) in entries {
                if let (true, Some(v)) = (k.starts_with("COMPOSE_"), v) {
                    opts.environment.entry(k).or_insert(v);
                }
            }
        }
        if opts.files.is_empty()
            && let Some(files) = compose_file_paths(&opts.environment)
        {
            opts.files = files;
        }
        Ok(opts)
    }

    /// The project name `${COMPOSE_PROJECT_NAME}` interpolates to when neither `-p` nor the
    /// variable sets it: the last `name:` of the `-f` files (itself interpolated, then
    /// normalised as Compose does), else the project folder's name.
    pub(super) fn name_for_interpolation(
        &mut self,
        files: &[String],
        env: &super::Env,
        project_dir: &str,
    ) -> String {
        let mut name = String::new();
        for file in files {
            let Ok(bytes) = self.fs.read(file) else {
                continue;
            };
            // Only a file with a top-level `name` is parsed here (and kept for loading).
            if !(bytes.starts_with(b"name") || bytes.windows(5).any(|w| w == b"\nname")) {
                continue;
            }
            let limits = &self.opts.limits;
            let Ok(docs) = crate::compose::parse::parse(&bytes, file, u32::MAX, limits) else {
                continue;
            };
            for doc in &docs {
                if let Some(n) = doc.get("name").and_then(Node::scalar_string) {
                    let lookup = |k: &str| env.get(k).cloned();
                    let value =
                        crate::compose::interpolate::interpolate(&n, &lookup, &mut Vec::new())
                            .unwrap_or(n);
                    let value = normalize_name(&value);
                    if !value.is_empty() {
                        name = value;
                    }
                }
            }
            self.parsed_early.insert(file.clone(), docs);
        }
        if name.is_empty() {
            name = normalize_name(project_dir.rsplit('/').next().unwrap_or(""));
        }
        name
    }
}

/// Docker Compose's `NormalizeProjectName`: lowercase, keep `[a-z0-9_-]`, no leading `_`/`-`.
pub(super) fn normalize_name(s: &str) -> String {
    let kept: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// The files `COMPOSE_FILE` names, split on `COMPOSE_PATH_SEPARATOR` (default `:`).
pub fn compose_file_paths(env: &std::collections::BTreeMap<String, String>) -> Option<Vec<String>> {
    let list = env.get("COMPOSE_FILE").filter(|f| !f.is_empty())?;
    let sep = env
        .get("COMPOSE_PATH_SEPARATOR")
        .filter(|s| !s.is_empty())
        .map_or(":", String::as_str);
    Some(list.split(sep).map(str::to_string).collect())
}
