// Package docs holds the engine's manual, one Markdown page per reader,
// linked from the repository's README.md. It has no code: its tests keep
// the pages honest.
//
// # What the tests check
//
//   - Every relative link and image in README.md and docs/*.md points at a
//     file that exists, and its #anchor, if any, names a heading of the
//     target page (GitHub's anchor rules). External links are not fetched.
//   - Every docs/*.md page is linked from README.md.
//   - Every `engine <command>` line shown in code in those pages names a
//     command of cmd/engine (read from its commands() list as text).
//   - README.md stays a front door: at most 260 lines.
package docs
