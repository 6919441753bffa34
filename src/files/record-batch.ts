/** Records read from a file, with where to resume after them. */
export interface RecordBatch<T> {
  /** Each record with the physical line (1-based) it starts on. */
  records: Array<{ lineNo: number; value: T }>;
  /** Byte offset just past the batch's last record: where a resume starts. */
  endOffset: number;
  /** Line number of the batch's last line (counting blank lines read past). */
  lastLineNo: number;
}
