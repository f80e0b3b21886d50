//! `invoices-api copy --from URL --to URL`: the progress it shows and the report it prints.

use crate::store::copy::{self, Progress, TableCopy};
use crate::store::database;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often a plain progress line is written when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Migrates both databases, copies, and returns the report: one line per table with its rows
/// and the checksums of both sides, and a total.
pub async fn run(from: &str, to: &str) -> anyhow::Result<String> {
    let source = database::open(from).await?;
    let target = database::open(to).await?;
    let started = Instant::now();
    let mut progress = Shown::new();
    let copied = copy::copy(&source, &target, &mut progress).await;
    progress.finish();
    let _ = source.close().await;
    let _ = target.close().await;
    Ok(report(&copied?, started.elapsed()))
}

fn report(tables: &[TableCopy], took: Duration) -> String {
    let mut lines = vec![format!(
        "{:<24} {:>10}  {:<16}  {:<16}",
        "table", "rows", "source checksum", "target checksum"
    )];
    for table in tables {
        lines.push(format!(
            "{:<24} {:>10}  {:<16}  {:<16}",
            table.table, table.rows, table.source_checksum, table.target_checksum
        ));
    }
    let rows: u64 = tables.iter().map(|t| t.rows).sum();
    let seconds = took.as_secs_f64();
    lines.push(format!(
        "copied {} tables, {rows} rows in {seconds:.1} s ({:.0} rows/s); every table's rows and \
         checksum match",
        tables.len(),
        rows as f64 / seconds.max(0.001)
    ));
    lines.join("\n")
}

/// Progress on stderr: a bar per table on a terminal (indicatif), else a plain line every few
/// seconds and at the end of each table.
struct Shown {
    /// `None` when stderr is not a terminal.
    bar: Option<ProgressBar>,
    terminal: bool,
    table: String,
    total: u64,
    started: Instant,
    last_line: Instant,
}

impl Shown {
    fn new() -> Self {
        Shown {
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            table: String::new(),
            total: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

impl Progress for Shown {
    fn start(&mut self, table: &str, total: u64) {
        self.finish();
        (self.table, self.total) = (table.to_owned(), total);
        (self.started, self.last_line) = (Instant::now(), Instant::now());
        if self.terminal {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{msg:<24} [{bar:30}] {pos}/{len} rows, {per_sec}, {eta} left",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(table.to_owned());
            self.bar = Some(bar);
        }
    }

    fn advanced(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            return;
        }
        if done < self.total && self.last_line.elapsed() < PLAIN_EVERY {
            return;
        }
        self.last_line = Instant::now();
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / seconds;
        let left = self.total.saturating_sub(done) as f64 / rate.max(1.0);
        eprintln!(
            "copy: {}: {done}/{} rows, {rate:.0} rows/s, {left:.0} s left",
            self.table, self.total
        );
    }

    fn checking(&mut self) {
        self.finish();
        eprintln!("copy: checking every table of the target against the source");
    }
}
