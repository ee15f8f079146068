import { redirect } from 'next/navigation';

/** The scripts table is the home page. */
export default function ScriptsIndex() {
  redirect('/');
}
