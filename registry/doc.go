// Package registry is berthd's distribution client: the glue between
// Docker's view of registries and go-containerregistry's protocol code.
//
// It reads Docker references (docker.io, library/, registry-1.docker.io),
// decodes the X-Registry-Auth credentials, decides which registries are
// insecure (127.0.0.0/8 and the configured ones, as Docker does), and opens
// a Repo: one repository reached through go-containerregistry's
// authenticating transport (ping, basic and bearer challenges, token
// refresh, retries). On a Repo it resolves a reference to one image
// manifest for a platform, fetches blobs, uploads blobs (with cross-repository
// mounts) and manifests; Login checks credentials (and obtains identity
// tokens from token servers), Search asks a v1 search API. Docker Hub
// mirrors, per-registry TLS files (certs.d) and the registries taking
// non-distributable layers are Client settings. Registry errors are
// worded as Docker words them, and Progress formats the per-layer JSON
// messages of pull and push.
//
// Blobs are handed out unverified: the caller checks them against their
// digest as it stores them (package content), so each byte is hashed once.
// What a pull or push does with the blobs is package image's business.
package registry
