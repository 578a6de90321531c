/** A JSON value; large ones folded (a `<details>` shows the first characters until opened). */
export function JsonValue({ value, label, limit = 400 }: { value: unknown; label: string; limit?: number }) {
  if (value === undefined) return null;
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  if (text.length <= limit) {
    return (
      <div className="ff-value">
        <h4>{label}</h4>
        <pre>{text}</pre>
      </div>
    );
  }
  return (
    <details className="ff-value">
      <summary>
        {label} ({text.length.toLocaleString()} characters)
      </summary>
      <pre>{text}</pre>
    </details>
  );
}
