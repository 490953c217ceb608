export { type DumpsOptions, dumps, dumpsChunks } from './dumps.js';
export { loads } from './loads.js';
export { type Reducer, registerReducer } from './reducers.js';
export { registerError, SerializationError } from './errors.js';
export { knownModules, learnModules, loadsAsync, mayHoldReducers } from './modules.js';
export { type NumericArray, type NumericTypecode, TYPECODE_ARRAYS } from './typed-arrays.js';
