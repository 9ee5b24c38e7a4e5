type Props = {
  /** 0-100 */
  value: number
  label: string
  testId: string
}

/** A plain accessible progress bar: role=progressbar with aria-valuenow. */
export function ProgressBar({ value, label, testId }: Props) {
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      data-testid={testId}
    >
      <div className="progress-fill" style={{ width: `${value}%` }} />
    </div>
  )
}
