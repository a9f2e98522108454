export default function ContractsPage() {
  return <div>ContractsPage</div>;
}
