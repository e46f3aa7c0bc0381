/**
 * Shapes shared by the table printers: a column definition as served in a
 * meta.k8s.io/v1 Table, and a printer (the columns of one kind plus the
 * function computing one row's cells).
 */

import type { KObject } from "../types.ts";

/** meta/v1 TableColumnDefinition. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** Columns of one kind and how to fill one row. Cells align with `columns`. */
export interface Printer {
  columns: TableColumn[];
  cells(obj: KObject, now: Date): unknown[];
}

/** Builds a column; `format` is empty and priority 0 unless given. */
export function col(name: string, type: string, description: string, priority = 0, format = ""): TableColumn {
  return { name, type, format, description, priority };
}

/** The leading Name column every kind's table starts with (Events put it last). */
export function nameCol(priority = 0): TableColumn {
  return col("Name", "string", "Name of the object, unique within its namespace (or the cluster).", priority, "name");
}

/** The Age column: how long ago the object was created. */
export function ageCol(): TableColumn {
  return col("Age", "string", "Time since the object was created.");
}

/** The wide Containers / Images columns of controllers with a pod template. */
export function containerCols(): TableColumn[] {
  return [
    col("Containers", "string", "Container names in the pod template.", 1),
    col("Images", "string", "Container images in the pod template.", 1),
  ];
}

/** The wide Selector column. */
export function selectorCol(): TableColumn {
  return col("Selector", "string", "Label query selecting the managed pods.", 1);
}
