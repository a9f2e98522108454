export default function ContractPage() {
  return <div>ContractPage</div>;
}
