/** Mounts the single-page app; the binary serves index.html for every page path. */
import { render } from "preact";
import { App } from "./app";

const root = document.getElementById("app");
if (root) render(<App />, root);
