//! Jobs written one at a time as they arrive (`jobs list`): NDJSON lines, a JSON array written
//! incrementally (byte for byte what pretty-printing the whole array gives), CSV records, or a
//! table, which alone needs every row before it can align its columns: it keeps each job's
//! cells, not the job, and spools them past its first rows (see [`Table`]), so memory stays
//! flat however many jobs come.

use std::fmt;
use std::io::{self, Write};

use sdm_ureq::JobSummary;

use crate::cli::OutputFormat;
use crate::columns::{self, Columns};
use crate::csv;
use crate::output::{Layout, Table, write_json_line, write_json_text};

/// Writes jobs in one format as they come.
pub struct JobWriter<'a> {
    out: &'a mut dyn Write,
    format: OutputFormat,
    /// The columns of a table or CSV.
    columns: Columns<JobSummary>,
    written: u64,
    /// The rows of a table, written at the end.
    table: Option<Table>,
    /// One JSON element at a time, pretty-printed before it is indented into the array.
    element: Vec<u8>,
}

impl fmt::Debug for JobWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobWriter")
            .field("format", &self.format)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl<'a> JobWriter<'a> {
    /// Starts the output (the CSV header), with the format's default columns.
    #[cfg(test)]
    pub fn start(out: &'a mut dyn Write, format: OutputFormat) -> io::Result<Self> {
        Self::start_with(out, format, None)
    }

    /// Starts the output with these columns in a table or CSV (`--columns`), or the format's
    /// default ones.
    pub fn start_with(
        out: &'a mut dyn Write,
        format: OutputFormat,
        columns: Option<Columns<JobSummary>>,
    ) -> io::Result<Self> {
        let columns = columns.unwrap_or_else(|| columns::default_job_columns(format));
        if format == OutputFormat::Csv {
            csv::write_record(out, &columns.csv_header())?;
        }
        Ok(Self {
            out,
            format,
            table: (format == OutputFormat::Table).then(|| columns.table()),
            columns,
            written: 0,
            element: Vec::new(),
        })
    }

    /// Writes one job (a table keeps its cells for [`finish`](Self::finish)). The server's
    /// object is written as it came, every field included.
    pub fn write(&mut self, job: JobSummary) -> io::Result<()> {
        match self.format {
            OutputFormat::Table => {
                if let Some(table) = &mut self.table {
                    table.push(self.columns.table_row(&job));
                }
            }
            OutputFormat::Ndjson => write_json_line(self.out, job.raw())?,
            OutputFormat::Csv => csv::write_record(self.out, &self.columns.csv_record(&job))?,
            OutputFormat::Json => {
                self.element.clear();
                write_json_text(&mut self.element, job.raw().get(), Layout::Pretty)?;
                self.out
                    .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                // Indented one level, as inside a pretty-printed array. JSON strings hold no
                // raw line breaks, so every `\n` is between tokens.
                for (index, line) in self.element.split(|&b| b == b'\n').enumerate() {
                    if index > 0 {
                        self.out.write_all(b"\n")?;
                    }
                    self.out.write_all(b"  ")?;
                    self.out.write_all(line)?;
                }
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the output (the table, or the `]` of the array); returns how many jobs were written.
    pub fn finish(self) -> io::Result<u64> {
        match self.format {
            OutputFormat::Table => {
                if let Some(table) = &self.table {
                    table.write(self.out)?;
                }
            }
            OutputFormat::Json if self.written == 0 => self.out.write_all(b"[]\n")?,
            OutputFormat::Json => self.out.write_all(b"\n]\n")?,
            OutputFormat::Ndjson | OutputFormat::Csv => {}
        }
        Ok(self.written)
    }

    /// Ends output cut short by an error: a table shows the jobs that came; the other formats
    /// stay as they are (an unclosed JSON array tells a program it is incomplete).
    pub fn abandon(self) -> io::Result<()> {
        if let Some(table) = self.table.as_ref().filter(|_| self.written > 0) {
            table.write(self.out)?;
        }
        Ok(())
    }
}

/// The table of jobs for people, in the default columns.
pub fn table(jobs: &[JobSummary]) -> Table {
    table_of(&columns::default_job_columns(OutputFormat::Table), jobs)
}

/// The table of jobs in these columns.
pub fn table_of(columns: &Columns<JobSummary>, jobs: &[JobSummary]) -> Table {
    let mut table = columns.table();
    for job in jobs {
        table.push(columns.table_row(job));
    }
    table
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::output::write_json_pretty;

    fn summaries(n: usize) -> Vec<JobSummary> {
        let all: Vec<JobSummary> = serde_json::from_value(json!([
            {"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "name": "Feed \"A\"\n",
             "status": "done", "project": {"id": 2, "name": "Garden", "tags": []},
             "creation_date": "2022-04-14T08:48:37.109159Z", "completion_date": null,
             "extra": {"nested": [1, {}]}},
            {"id": "00000000-0000-4000-8000-000000000000", "status": "archived"},
            {"id": "00000000-0000-4000-8000-000000000001", "status": "running", "project": 5}
        ]))
        .unwrap();
        all.into_iter().take(n).collect()
    }

    fn render(jobs: &[JobSummary], format: OutputFormat) -> String {
        let mut out = Vec::new();
        let mut writer = JobWriter::start(&mut out, format).unwrap();
        for job in jobs {
            writer.write(job.clone()).unwrap();
        }
        assert_eq!(writer.finish().unwrap(), jobs.len() as u64);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_streamed_array_is_the_pretty_printed_array() {
        for n in 0..=3 {
            let jobs = summaries(n);
            let mut whole = Vec::new();
            write_json_pretty(&mut whole, &jobs).unwrap();
            assert_eq!(
                render(&jobs, OutputFormat::Json),
                String::from_utf8(whole).unwrap(),
                "{n} jobs"
            );
        }
    }

    #[test]
    fn an_abandoned_output_keeps_what_came() {
        let jobs = summaries(2);
        for (format, expected_lines) in [(OutputFormat::Table, 3), (OutputFormat::Ndjson, 2)] {
            let mut out = Vec::new();
            let mut writer = JobWriter::start(&mut out, format).unwrap();
            for job in &jobs {
                writer.write(job.clone()).unwrap();
            }
            writer.abandon().unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap().lines().count(),
                expected_lines
            );
        }
        let mut out = Vec::new();
        let mut writer = JobWriter::start(&mut out, OutputFormat::Json).unwrap();
        writer.write(jobs[0].clone()).unwrap();
        writer.abandon().unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_err(),
            "{text}"
        );
    }

    /// `n` jobs with distinct ids and names of varied widths.
    fn many(n: usize) -> Vec<JobSummary> {
        (0..n)
            .map(|i| {
                serde_json::from_value(json!({
                    "id": format!("00000000-0000-4000-8000-{i:012}"),
                    "name": "東".repeat(i % 23), "status": "done"}))
                .unwrap()
            })
            .collect()
    }

    #[test]
    fn a_long_table_keeps_every_row_in_order_finished_or_abandoned() {
        // More jobs than a table keeps in memory: the rest are spooled and replayed.
        let jobs = many(2500);
        let text = render(&jobs, OutputFormat::Table);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2501);
        assert!(lines[0].starts_with("ID "));
        for (line, job) in lines[1..].iter().zip(&jobs) {
            assert!(line.starts_with(&format!("{}  done  ", job.id)), "{line}");
        }
        // Every row, kept in memory or spooled, is aligned to the widest name anywhere.
        let width = |line: &str| unicode_width::UnicodeWidthStr::width(line);
        assert!(lines[1..].iter().all(|l| width(l) == width(lines[23])));

        let mut out = Vec::new();
        let mut writer = JobWriter::start(&mut out, OutputFormat::Table).unwrap();
        for job in &jobs[..1500] {
            writer.write(job.clone()).unwrap();
        }
        writer.abandon().unwrap();
        let abandoned = String::from_utf8(out).unwrap();
        assert_eq!(abandoned.lines().count(), 1501);
        assert!(
            abandoned
                .lines()
                .last()
                .unwrap()
                .starts_with(&jobs[1499].id.to_string())
        );
    }
}
