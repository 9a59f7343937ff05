import type { ComponentChildren } from 'preact';

/**
 * What waits for this person, under a heading that counts it: the list, or one line saying that
 * nothing waits (an empty list is said, never left blank).
 */
export function Waiting({
  level: Heading = 'h2',
  id,
  title,
  count,
  empty,
  none,
  children,
}: {
  level?: 'h2' | 'h3';
  id: string;
  title: string;
  count: number;
  empty: boolean;
  /** The line shown when nothing waits. */
  none: string;
  children: ComponentChildren;
}) {
  return (
    <>
      <Heading id={id}>
        {title} <span class="count">{count}</span>
      </Heading>
      {empty ? <p>{none}</p> : children}
    </>
  );
}
