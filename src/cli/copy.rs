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
enum Shown {
    Bar(Option<ProgressBar>),
    Plain {
        table: String,
        started: Instant,
        last_line: Instant,
    },
}

impl Shown {
    fn new() -> Self {
        if std::io::stderr().is_terminal() {
            Shown::Bar(None)
        } else {
            Shown::Plain {
                table: String::new(),
                started: Instant::now(),
                last_line: Instant::now(),
            }
        }
    }

    fn finish(&mut self) {
        if let Shown::Bar(Some(bar)) = self {
            bar.finish();
        }
    }
}

impl Progress for Shown {
    fn table(&mut self, table: &str, done: u64, total: u64) {
        match self {
            Shown::Bar(bar) => {
                if done == 0 {
                    if let Some(previous) = bar.take() {
                        previous.finish();
                    }
                    let new =
                        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                    if let Ok(style) = ProgressStyle::with_template(
                        "{msg:<24} [{bar:30}] {pos}/{len} rows, {per_sec}, {eta} left",
                    ) {
                        new.set_style(style.progress_chars("=> "));
                    }
                    new.set_message(table.to_owned());
                    *bar = Some(new);
                } else if let Some(bar) = bar {
                    bar.set_position(done);
                }
            }
            Shown::Plain {
                table: current,
                started,
                last_line,
            } => {
                if done == 0 {
                    *current = table.to_owned();
                    *started = Instant::now();
                    *last_line = Instant::now();
                    return;
                }
                if done < total && last_line.elapsed() < PLAIN_EVERY {
                    return;
                }
                *last_line = Instant::now();
                let seconds = started.elapsed().as_secs_f64().max(0.001);
                let rate = done as f64 / seconds;
                let left = total.saturating_sub(done) as f64 / rate.max(1.0);
                eprintln!(
                    "copy: {current}: {done}/{total} rows, {rate:.0} rows/s, {left:.0} s left"
                );
            }
        }
    }

    fn checking(&mut self) {
        self.finish();
        eprintln!("copy: checking every table of the target against the source");
    }
}
