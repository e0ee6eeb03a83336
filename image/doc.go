// Package image is Berth's image service: it keeps image configs and the
// references (repo:tag, repo@digest) that name them, and implements the
// image endpoints of the Docker API on top of the layer store: list,
// inspect, history, tag, remove, prune, save, load and import; and, with
// package registry, pull and push (Distribution).
//
// An image ID is the sha256 digest of its config JSON, byte for byte as it
// was received. Image content lives in the layer store (package layer);
// this package only adds the configs and the names.
//
// On-disk layout under the service root (<data-root>/image):
//
//	content/blobs/sha256/<hex>   image config blobs; <hex> is the image ID
//	content/ingest/              config blobs being written (package content)
//	images.json                  the index: every image (ID -> parent, last tag
//	                             time) and every reference (normalised name ->
//	                             image ID); replaced atomically (temp file,
//	                             fsync, rename, fsync of the directory)
//	tmp/                         staging of load, import and save; emptied at start
//	distribution/blobs/sha256/   compressed layers and manifests as registries
//	                             served them (blobs.go); distribution/ingest/ holds
//	                             downloads in progress
//	distribution.json            what each kept blob is (diff ID, media type,
//	                             repositories that have it) and the manifests
//	                             each image was pulled or pushed as
//
// images.json is the commit point: an image exists when the index lists it.
// Load and import first register layers and write config blobs, then write
// the index once; a crash before that leaves only unreferenced configs and
// layers, which NewService removes along with tmp/ (as it removes images
// whose config or layers are missing). Layers that no image references are
// removed with the last image using them.
//
// References are stored normalised (docker.io/library/busybox:latest) and
// shown familiar (busybox:latest), as Docker does.
package image
