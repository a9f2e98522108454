export default function CustomersPage() {
  return <div>CustomersPage</div>;
}
