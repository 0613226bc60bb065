//! Renderers: placeholder.
