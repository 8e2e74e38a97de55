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

/// The documented ENTRYPOINT of the image `repository` on `registry` (a reference as
/// `image::reference` normalises it), when initlint knows it. The tag (`:nonroot`, `:debug`)
/// does not change it.
pub fn documented(registry: &str, repository: &str) -> Option<Documented> {
    let name = repository
        .strip_prefix("distroless/")
        .filter(|_| registry == "gcr.io")?;
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

/// Whether `reference` names an operating-system or language image from its maker (Docker
/// Hub's official images, distroless, Red Hat's UBI, Microsoft's .NET, Chainguard's): an image
/// that sets its own variables (PATH, versions, homes) and none of an application's. With
/// such a base unread, an entry script's test of an application variable (`MINIO_USERNAME`)
/// is taken as unset, and the chain says so.
/// `registry` and `repository` as `image::reference` normalises them (`python` is
/// `docker.io`, `library/python`).
pub fn generic(registry: &str, repository: &str) -> bool {
    match registry {
        "docker.io" | "index.docker.io" => repository
            .strip_prefix("library/")
            .is_some_and(|n| !n.contains('/')),
        "public.ecr.aws" => repository
            .strip_prefix("docker/library/")
            .is_some_and(|n| !n.contains('/')),
        "gcr.io" => repository.starts_with("distroless/"),
        "registry.access.redhat.com" | "registry.redhat.io" => repository
            .split('/')
            .next()
            .is_some_and(|p| p.starts_with("ubi")),
        "mcr.microsoft.com" => repository.starts_with("dotnet/"),
        "cgr.dev" => repository.starts_with("chainguard/"),
        _ => false,
    }
}

/// Whether an OS or language image may set the variable `name` itself: the system's own
/// (PATH, LANG, LC_*), and the kinds of names official images give their runtime (versions,
/// homes, checksums, `PYTHON…`, `NODE…`, `JAVA…`, `DOTNET…`, `PG…`).
pub fn may_set(name: &str) -> bool {
    const SYSTEM: &[&str] = &[
        "PATH",
        "HOME",
        "HOSTNAME",
        "TERM",
        "LANG",
        "LANGUAGE",
        "TZ",
        "container",
        "DEBIAN_FRONTEND",
        "LD_LIBRARY_PATH",
        "APP_UID",
        "SHELL",
        "USER",
    ];
    const SUFFIXES: &[&str] = &[
        "_VERSION", "_HOME", "_SHA256", "_SHA512", "_MAJOR", "_URL", "_PATH", "_ROOT", "_DIR",
        "_KEY", "_KEYS", "_HASH", "_DATA",
    ];
    const PREFIXES: &[&str] = &[
        "LC_",
        "GPG",
        "PYTHON",
        "PIP_",
        "NODE",
        "NPM_",
        "YARN",
        "JAVA",
        "JDK",
        "JRE",
        "GO",
        "RUBY",
        "GEM_",
        "BUNDLE",
        "PHP",
        "RUST",
        "CARGO",
        "DOTNET",
        "ASPNETCORE",
        "NUGET",
        "COMPLUS",
        "MAVEN",
        "GRADLE",
        "NGINX",
        "HTTPD",
        "PG",
        "POSTGRES",
        "MYSQL",
        "MARIADB",
        "MONGO",
        "REDIS",
        "RABBITMQ",
        "ERL",
        "ELIXIR",
        "OTP",
        "MIX_",
        "HEX_",
        "REBAR",
        "CATALINA",
        "TOMCAT",
        "JULIA",
        "R_",
        "SSL_",
        "CA_",
        "PERL",
        "SWIFT",
        "DART",
        "GHC",
        "CABAL",
        "STACK",
        "CLOJURE",
        "LEIN",
        "ZIG",
        "CRYSTAL",
        "MEMCACHED",
        "CADDY",
        "TRAEFIK",
        "WORDPRESS",
        "DOCKER",
        "TINI",
        "GOSU",
    ];
    let upper = name.to_ascii_uppercase();
    SYSTEM.contains(&name)
        || SUFFIXES.iter().any(|s| upper.ends_with(s))
        || PREFIXES.iter().any(|p| upper.starts_with(p))
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

    /// The reference as the callers parse it.
    fn split(r: &str) -> (String, String) {
        let r = crate::image::reference::Reference::parse(r).unwrap();
        (r.registry, r.repository)
    }

    fn ep(r: &str) -> Option<Vec<String>> {
        let (registry, repository) = split(r);
        documented(&registry, &repository).map(|d| d.entrypoint)
    }

    fn generic_ref(r: &str) -> bool {
        let (registry, repository) = split(r);
        generic(&registry, &repository)
    }

    #[test]
    fn distroless_language_images() {
        assert_eq!(
            ep("gcr.io/distroless/nodejs22-debian12"),
            Some(vec!["/nodejs/bin/node".to_string()])
        );
        assert_eq!(
            ep("gcr.io/distroless/nodejs24-debian13:nonroot@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
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
    fn generic_bases_and_their_variables() {
        for r in [
            "python:3.12-slim",
            "docker.io/library/node:22@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "alpine",
            "registry.access.redhat.com/ubi9/ubi-micro:latest",
            "gcr.io/distroless/static-debian12:nonroot",
            "mcr.microsoft.com/dotnet/aspnet:8.0",
            "public.ecr.aws/docker/library/golang:1.22",
        ] {
            assert!(generic_ref(r), "{r}");
        }
        for r in [
            "minio/minio:latest",
            "ghcr.io/acme/python:3.12",
            "localhost:5000/node:20",
            "registry.example.com:5000/alpine",
            "quay.io/minio/minio",
        ] {
            assert!(!generic_ref(r), "{r}");
        }
        for n in [
            "PATH",
            "PYTHON_VERSION",
            "NODE_ENV",
            "JAVA_HOME",
            "GPG_KEY",
            "LC_ALL",
        ] {
            assert!(may_set(n), "{n}");
        }
        for n in [
            "MINIO_USERNAME",
            "APP_USER",
            "DATABASE_URL_X",
            "DJANGO_SETTINGS_MODULE",
        ] {
            assert!(!may_set(n), "{n}");
        }
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
