export default function CustomerPage() {
  return <div>CustomerPage</div>;
}
