//! Image mode with `--dockerfile PATH`: a finding about the image's config (its Entrypoint,
//! Cmd, SignalFate, …) is placed on the Dockerfile instruction that set it, so a code host can
//! show it in the repository.

use std::path::Path;

use crate::dockerfile::{self, LaunchKind};
use crate::source::{FileId, SourceMap, Span};

/// Where each config setting comes from in the Dockerfile (its target stage's lineage).
#[derive(Debug, Clone)]
pub struct ConfigHome {
    pub dockerfile: FileId,
    entrypoint: Option<Span>,
    cmd: Option<Span>,
    stop_signal: Option<Span>,
    /// The target stage's FROM: settings the Dockerfile does not set come with the base.
    from: Option<Span>,
}

impl ConfigHome {
    /// Read the Dockerfile into `sources` and find its instructions.
    pub fn load(
        path: &Path,
        sources: &mut SourceMap,
        opts: &dockerfile::Options,
    ) -> Result<ConfigHome, String> {
        let text = crate::source::read_regular(path, crate::dockerfile::input::MAX_DOCKERFILE)
            .and_then(|b| {
                String::from_utf8(b).map_err(|e| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())
                })
            })
            .map_err(|e| format!("--dockerfile {}: {e}", path.display()))?;
        let id = sources.add(crate::dockerfile::context::display(path), text);
        let loaded = dockerfile::load(sources, id, opts)
            .map_err(|e| format!("--dockerfile {}: {e}", path.display()))?;
        let f = &loaded.facts;
        let last = |kind: LaunchKind| {
            f.launches
                .iter()
                .rfind(|l| l.kind == kind && f.lineage.contains(&l.stage))
                .map(|l| l.span.clone())
        };
        Ok(ConfigHome {
            dockerfile: id,
            entrypoint: last(LaunchKind::Entrypoint),
            cmd: last(LaunchKind::Cmd),
            stop_signal: f.stop_signals.last().map(|s| s.span.clone()),
            from: f.stages.get(f.target).map(|s| s.from_span.clone()),
        })
    }

    /// The Dockerfile instruction behind a config field (its setting's provenance); the
    /// stage's FROM for a field the Dockerfile does not set, or a span in no field.
    pub fn place(&self, field: Option<&str>) -> Option<Span> {
        let found = match field {
            Some("Entrypoint") => self.entrypoint.clone(),
            Some("Cmd") => self.cmd.clone(),
            Some("StopSignal") => self.stop_signal.clone(),
            _ => None,
        };
        found.or_else(|| self.from.clone())
    }
}
