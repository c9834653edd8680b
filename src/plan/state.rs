//! The record of stage 1 (`kubeferry-stage.json`): how the stage was converted (the input
//! files, env files, profiles, project name, namespace, bridge addresses and claim sizes), so
//! that `kubeferry plan` and `convert --stage stateful` repeat it. It is written beside the
//! manifests folder, never in it: `kubectl apply -f DIR` would reject it.

use serde::{Deserialize, Serialize};

/// The file name, beside the output folder (or where `--state` says).
pub const FILE_NAME: &str = "kubeferry-stage.json";

/// How stage 1 was made. Paths are absolute, so stage 2 may run from another folder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageState {
    /// The kubeferry version that wrote it.
    pub kubeferry: String,
    /// The project's name.
    pub project: String,
    /// `-f`, absolute, in order (empty: found in the folder as Docker Compose does).
    #[serde(default)]
    pub files: Vec<String>,
    /// The Compose files Docker Compose uses for the project, in order (the usage line of
    /// `compose.bridge.yaml`).
    #[serde(default)]
    pub compose_files: Vec<String>,
    /// `--env-file`, absolute.
    #[serde(default)]
    pub env_files: Vec<String>,
    /// `--profile`.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// `-p`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// `--project-directory`, absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_directory: Option<String>,
    /// `--namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `--compose-host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose_host: Option<String>,
    /// `--bridge-bind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_bind: Option<String>,
    /// `--cluster-host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_host: Option<String>,
    /// `--claim-size KEY=SIZE`, as given.
    #[serde(default)]
    pub claim_sizes: Vec<String>,
    /// Where `compose.bridge.yaml` was written, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_file: Option<String>,
    /// The other conversion flags of stage 1, as given (for people; stage 2 must repeat them).
    #[serde(default)]
    pub flags: Vec<String>,
}

impl StageState {
    /// The record as the JSON file holds it.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// A record read from its JSON file.
    pub fn from_json(text: &str) -> Result<StageState, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// What stage 2 was given that differs from what stage 1 recorded, among the settings
    /// that must be the same (files, env files, profiles, project name, namespace); empty when
    /// they agree. Empty values on the stage-2 side are filled from the record, not compared.
    pub fn differences(&self, stage2: &StageState) -> Vec<String> {
        let mut out = Vec::new();
        let mut list = |what: &str, a: &[String], b: &[String]| {
            if !b.is_empty() && a != b {
                out.push(format!(
                    "{what}: stage 1 `{}`, stage 2 `{}`",
                    a.join(" "),
                    b.join(" ")
                ));
            }
        };
        list("-f", &self.files, &stage2.files);
        list("--env-file", &self.env_files, &stage2.env_files);
        list("--profile", &self.profiles, &stage2.profiles);
        let opt = |o: &Option<String>| o.iter().cloned().collect::<Vec<_>>();
        list(
            "--project-name",
            &opt(&self.project_name),
            &opt(&stage2.project_name),
        );
        list(
            "--project-directory",
            &opt(&self.project_directory),
            &opt(&stage2.project_directory),
        );
        list(
            "--namespace",
            &opt(&self.namespace),
            &opt(&stage2.namespace),
        );
        out
    }
}

/// The folder a file goes in when it goes beside the output folder `out`: its parent.
pub fn beside(out: &str) -> std::path::PathBuf {
    let p = std::path::Path::new(out.trim_end_matches('/'));
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ if p.as_os_str().is_empty() || p == std::path::Path::new(".") => {
            std::path::PathBuf::from("..")
        }
        _ => std::path::PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_the_folder() {
        assert_eq!(beside("stage1/"), std::path::PathBuf::from("."));
        assert_eq!(beside("out/stage1"), std::path::PathBuf::from("out"));
        assert_eq!(beside("/tmp/x/stage1/"), std::path::PathBuf::from("/tmp/x"));
    }

    #[test]
    fn differences_ignore_what_stage2_leaves_out() {
        let s1 = StageState {
            files: vec!["/p/a.yml".into(), "/p/b.yml".into()],
            namespace: Some("agents".into()),
            ..StageState::default()
        };
        assert!(s1.differences(&StageState::default()).is_empty());
        let s2 = StageState {
            files: vec!["/p/a.yml".into()],
            namespace: Some("agents".into()),
            ..StageState::default()
        };
        assert_eq!(
            s1.differences(&s2),
            ["-f: stage 1 `/p/a.yml /p/b.yml`, stage 2 `/p/a.yml`"]
        );
        let back = StageState::from_json(&s1.to_json()).unwrap();
        assert_eq!(back, s1);
    }
}
