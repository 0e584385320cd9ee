// The containers project's setup: the images, once per run (deploy/podman/images.sh; cached where it can be).
import { makeImages } from './support.js';

export default function setup(): void {
  makeImages();
}
