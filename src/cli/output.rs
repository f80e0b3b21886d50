//! How the operator's lists are printed: an aligned table for people, JSON for scripts. Rows
//! are any serializable records; the table's columns are their fields, in order.

use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Copy, Debug)]
pub enum Format {
    Table,
    Json,
}

/// The rows as the format prints them (no trailing newline).
pub fn render<T: Serialize>(rows: &[T], format: Format) -> anyhow::Result<String> {
    let value = serde_json::to_value(rows)?;
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(&value)?,
        Format::Table => table(&value),
    })
}

/// An aligned table: a header of the field names, then one line per record; `-` for null.
fn table(rows: &Value) -> String {
    let rows: Vec<&serde_json::Map<String, Value>> = rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    let Some(first) = rows.first() else {
        return "(none)".to_owned();
    };
    let header: Vec<String> = first.keys().map(|k| k.to_uppercase()).collect();
    let lines: Vec<Vec<String>> = std::iter::once(header)
        .chain(rows.iter().map(|row| row.values().map(cell).collect()))
        .collect();
    let widths: Vec<usize> = (0..first.len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    lines
        .iter()
        .map(|line| {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".to_owned(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        id: i64,
        name: &'static str,
        job_order: Option<&'static str>,
        permissions: Vec<&'static str>,
    }

    #[test]
    fn tables_align_columns_and_json_is_an_array() {
        let rows = [
            Row {
                id: 1,
                name: "Website redesign",
                job_order: Some("JO-1"),
                permissions: vec!["a", "b"],
            },
            Row {
                id: 12,
                name: "Intranet",
                job_order: None,
                permissions: vec![],
            },
        ];
        let table = render(&rows, Format::Table).expect("renders");
        assert_eq!(
            table,
            "ID  NAME              JOB_ORDER  PERMISSIONS\n\
             1   Website redesign  JO-1       a,b\n\
             12  Intranet          -          -"
        );
        let json: Value =
            serde_json::from_str(&render(&rows, Format::Json).expect("renders")).expect("JSON");
        assert_eq!(json[1]["job_order"], Value::Null);
        assert_eq!(
            render::<Row>(&[], Format::Table).expect("renders"),
            "(none)"
        );
        assert_eq!(render::<Row>(&[], Format::Json).expect("renders"), "[]");
    }
}
