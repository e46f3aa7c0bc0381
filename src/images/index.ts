/**
 * Images for tskube nodes without a registry: build OCI layout tarballs from
 * a directory, import them into a node's containerd, list and remove them
 * through CRI, and the built-in pause and busybox images.
 */
export { buildImage, ociArch, MEDIA_TYPE_CONFIG, MEDIA_TYPE_INDEX, MEDIA_TYPE_LAYER, MEDIA_TYPE_MANIFEST, ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME } from "./oci.ts";
export type { BuildImageOptions, BuiltImage } from "./oci.ts";
export { normalizeImageRef, splitRepoTag } from "./refs.ts";
export { importImage, listImages, imageStatus, removeImage, socketPath, CRI_NAMESPACE } from "./runtime.ts";
export type { ImageInfo } from "./runtime.ts";
export { PAUSE_IMAGE, BUSYBOX_IMAGE, ensureBuiltinImages, buildPauseImage, buildBusyboxImage } from "./builtin.ts";
export type { EnsureBuiltinImagesOptions } from "./builtin.ts";
