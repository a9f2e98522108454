export default function LeadsPage() {
  return <div>LeadsPage</div>;
}
