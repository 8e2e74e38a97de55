//! Base images whose launch settings are documented by their makers, for a Dockerfile whose
//! base could not be read. A Dockerfile on `gcr.io/distroless/nodejs22-debian12` that sets
//! only `CMD ["index.js"]` runs `/nodejs/bin/node index.js`: without the base's ENTRYPOINT,
//! `index.js` would look like the program itself.
//!
//! Source: GoogleContainerTools/distroless, `nodejs/nodejs.bzl`, `python3/python.bzl` and
//! `java/java.bzl` (the `entrypoint` of each `oci_image`), and each image's README ("The
//! entrypoint of this image is set to node"; Java's "We expect users to use cmd =
//! ["/path/to/deploy.jar"]").

/// The launch settings a base image is documented to have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documented {
    pub entrypoint: Vec<String>,
    /// Where the setting is written down, for the chain's note.
    pub source: &'static str,
}

/// The documented ENTRYPOINT of `reference`, when initlint knows it.
pub fn documented(reference: &str) -> Option<Documented> {
    let path = reference
        .split('@')
        .next()
        .unwrap_or(reference)
        .to_ascii_lowercase();
    let rest = path.strip_prefix("gcr.io/distroless/")?;
    // The tag (`:nonroot`, `:debug`) does not change the entrypoint.
    let name = rest.split(':').next().unwrap_or(rest);
    if name.contains('/') {
        return None;
    }
    let (family, variant) = name.split_once('-').unwrap_or((name, ""));
    let versioned = |prefix: &str| {
        family
            .strip_prefix(prefix)
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()))
    };
    let entrypoint: Vec<&str> = if versioned("nodejs") {
        vec!["/nodejs/bin/node"]
    } else if versioned("python") && family != "python" {
        vec![python_for(variant)]
    } else if versioned("java") && !variant.starts_with("base") {
        vec!["/usr/bin/java", "-jar"]
    } else {
        return None;
    };
    Some(Documented {
        entrypoint: entrypoint.into_iter().map(String::from).collect(),
        source: "the ENTRYPOINT GoogleContainerTools/distroless sets for this image (its .bzl definition and README)",
    })
}

/// distroless's python3 images name the versioned interpreter of their Debian release.
fn python_for(variant: &str) -> &'static str {
    match variant.split('-').next().unwrap_or("") {
        "debian11" => "/usr/bin/python3.9",
        "debian12" => "/usr/bin/python3.11",
        "debian13" => "/usr/bin/python3.13",
        _ => "/usr/bin/python3",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn ep(r: &str) -> Option<Vec<String>> {
        documented(r).map(|d| d.entrypoint)
    }

    #[test]
    fn distroless_language_images() {
        assert_eq!(
            ep("gcr.io/distroless/nodejs22-debian12"),
            Some(vec!["/nodejs/bin/node".to_string()])
        );
        assert_eq!(
            ep("gcr.io/distroless/nodejs24-debian13:nonroot@sha256:fbbdda86"),
            Some(vec!["/nodejs/bin/node".to_string()])
        );
        assert_eq!(
            ep("gcr.io/distroless/python3-debian12:debug"),
            Some(vec!["/usr/bin/python3.11".to_string()])
        );
        assert_eq!(
            ep("gcr.io/distroless/java17-debian12"),
            Some(vec!["/usr/bin/java".to_string(), "-jar".to_string()])
        );
        assert_eq!(
            ep("gcr.io/distroless/java:11"),
            Some(vec!["/usr/bin/java".to_string(), "-jar".to_string()])
        );
    }

    #[test]
    fn others_are_not_guessed() {
        // No ENTRYPOINT in these, or not distroless's.
        for r in [
            "gcr.io/distroless/static-debian12",
            "gcr.io/distroless/cc-debian13:nonroot",
            "gcr.io/distroless/base",
            "gcr.io/distroless/java-base-debian12",
            "gcr.io/distroless/nodejsx",
            "ghcr.io/acme/distroless/nodejs22",
            "node:22",
            "gcr.io/distroless/nodejs22/extra",
        ] {
            assert_eq!(ep(r), None, "{r}");
        }
    }
}
